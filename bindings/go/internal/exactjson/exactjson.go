// Package exactjson is a small exact JSON reader for the tests: encoding/json replaces
// invalid UTF-8 in strings with U+FFFD (vectors pass such bytes on purpose, for the library
// to refuse) and keeps only the last of duplicate members (vectors and the endpoint checks
// need every one). This reader keeps string bytes as they are, after JSON unescaping, and
// every member in order.
package exactjson

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the kind of a JSON value.
type Kind int

const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

// String is the kind's JSON name ("object", ...).
func (k Kind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

// Member is one member of an object, in the order of the text.
type Member struct {
	Name  string
	Value *Value
}

// Value is one JSON value.
type Value struct {
	Kind    Kind
	Str     string   // a string's value (unescaped), or a number's or boolean's text
	Members []Member // an object's members, duplicates included
	Items   []*Value // an array's items
}

// Parse reads exactly one JSON value (and whitespace) from b.
func Parse(b []byte) (*Value, error) {
	p := &parser{b: b}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.b) {
		return nil, fmt.Errorf("trailing data at byte %d", p.i)
	}
	return v, nil
}

type parser struct {
	b []byte
	i int
}

func (p *parser) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *parser) value() (*Value, error) {
	p.space()
	if p.i >= len(p.b) {
		return nil, errors.New("unexpected end")
	}
	switch c := p.b[p.i]; {
	case c == '{':
		p.i++
		v := &Value{Kind: Object}
		p.space()
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			return v, nil
		}
		for {
			p.space()
			name, err := p.string()
			if err != nil {
				return nil, err
			}
			p.space()
			if p.i >= len(p.b) || p.b[p.i] != ':' {
				return nil, fmt.Errorf("expected ':' at byte %d", p.i)
			}
			p.i++
			item, err := p.value()
			if err != nil {
				return nil, err
			}
			v.Members = append(v.Members, Member{name, item})
			p.space()
			if p.i < len(p.b) && p.b[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.b) && p.b[p.i] == '}' {
				p.i++
				return v, nil
			}
			return nil, fmt.Errorf("expected ',' or '}' at byte %d", p.i)
		}
	case c == '[':
		p.i++
		v := &Value{Kind: Array}
		p.space()
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return v, nil
		}
		for {
			item, err := p.value()
			if err != nil {
				return nil, err
			}
			v.Items = append(v.Items, item)
			p.space()
			if p.i < len(p.b) && p.b[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.b) && p.b[p.i] == ']' {
				p.i++
				return v, nil
			}
			return nil, fmt.Errorf("expected ',' or ']' at byte %d", p.i)
		}
	case c == '"':
		s, err := p.string()
		return &Value{Kind: String, Str: s}, err
	case c == 't' || c == 'f' || c == 'n':
		for _, word := range []string{"true", "false", "null"} {
			if len(p.b)-p.i >= len(word) && string(p.b[p.i:p.i+len(word)]) == word {
				p.i += len(word)
				if word == "null" {
					return &Value{Kind: Null}, nil
				}
				return &Value{Kind: Bool, Str: word}, nil
			}
		}
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.i
		for p.i < len(p.b) && (p.b[p.i] == '-' || p.b[p.i] == '+' || p.b[p.i] == '.' ||
			p.b[p.i] == 'e' || p.b[p.i] == 'E' || (p.b[p.i] >= '0' && p.b[p.i] <= '9')) {
			p.i++
		}
		text := string(p.b[start:p.i])
		if _, err := strconv.ParseFloat(text, 64); err != nil {
			return nil, fmt.Errorf("bad number %q", text)
		}
		return &Value{Kind: Number, Str: text}, nil
	}
	return nil, fmt.Errorf("unexpected byte %q at %d", p.b[p.i], p.i)
}

// string reads a JSON string, unescaping it; other bytes (valid UTF-8 or not) are kept.
func (p *parser) string() (string, error) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return "", fmt.Errorf("expected a string at byte %d", p.i)
	}
	p.i++
	var out []byte
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(out), nil
		case c < 0x20:
			return "", fmt.Errorf("control byte in string at %d", p.i)
		case c != '\\':
			out = append(out, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.b) {
			break
		}
		e := p.b[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, err := p.hex4()
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(r) && p.i+1 < len(p.b) && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
				save := p.i
				p.i += 2
				low, err := p.hex4()
				if err == nil && utf16.DecodeRune(r, low) != utf8.RuneError {
					r = utf16.DecodeRune(r, low)
				} else {
					p.i = save
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", fmt.Errorf("bad escape \\%c", e)
		}
	}
	return "", errors.New("unterminated string")
}

func (p *parser) hex4() (rune, error) {
	if len(p.b)-p.i < 4 {
		return 0, errors.New("short \\u escape")
	}
	n, err := strconv.ParseUint(string(p.b[p.i:p.i+4]), 16, 16)
	if err != nil {
		return 0, fmt.Errorf("bad \\u escape: %v", err)
	}
	p.i += 4
	return rune(n), nil
}
