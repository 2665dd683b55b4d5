package layeridentity

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A small exact JSON reader for the tests' attributes_json inputs. encoding/json cannot be
// used for them: it replaces invalid UTF-8 in strings with U+FFFD (a vector passes such
// bytes on purpose, for the library to refuse) and keeps only the last of duplicate
// members (vectors hold duplicates, which the typed API cannot express). This reader keeps
// string bytes as they are, after JSON unescaping, and every member in order.

type jsonKind int

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonStr
	jsonArray
	jsonObject
)

func (k jsonKind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

type jsonMember struct {
	name  string
	value *jsonValue
}

type jsonValue struct {
	kind    jsonKind
	str     string // a string's value, or a number's or boolean's text
	members []jsonMember
	items   []*jsonValue
}

func parseJSON(b []byte) (*jsonValue, error) {
	p := &jsonParser{b: b}
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

type jsonParser struct {
	b []byte
	i int
}

func (p *jsonParser) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *jsonParser) value() (*jsonValue, error) {
	p.space()
	if p.i >= len(p.b) {
		return nil, errors.New("unexpected end")
	}
	switch c := p.b[p.i]; {
	case c == '{':
		p.i++
		v := &jsonValue{kind: jsonObject}
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
			v.members = append(v.members, jsonMember{name, item})
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
		v := &jsonValue{kind: jsonArray}
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
			v.items = append(v.items, item)
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
		return &jsonValue{kind: jsonStr, str: s}, err
	case c == 't' || c == 'f' || c == 'n':
		for _, word := range []string{"true", "false", "null"} {
			if len(p.b)-p.i >= len(word) && string(p.b[p.i:p.i+len(word)]) == word {
				p.i += len(word)
				if word == "null" {
					return &jsonValue{kind: jsonNull}, nil
				}
				return &jsonValue{kind: jsonBool, str: word}, nil
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
		return &jsonValue{kind: jsonNumber, str: text}, nil
	}
	return nil, fmt.Errorf("unexpected byte %q at %d", p.b[p.i], p.i)
}

// string reads a JSON string, unescaping it; other bytes (valid UTF-8 or not) are kept.
func (p *jsonParser) string() (string, error) {
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

func (p *jsonParser) hex4() (rune, error) {
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

// signOptionsFromJSON maps an attributes_json text onto the typed SignOptions, as a Go
// caller would write them. When the text holds something SignOptions cannot express at
// all, it returns the reason instead.
func signOptionsFromJSON(text []byte) (o SignOptions, inexpressible string) {
	v, err := parseJSON(text)
	if err != nil {
		return o, "not JSON (" + err.Error() + "): SignOptions is a struct, not text"
	}
	if v.kind != jsonObject {
		return o, "a JSON " + v.kind.String() + ", not an object: SignOptions is a struct"
	}
	seen := map[string]bool{}
	for _, m := range v.members {
		if seen[m.name] {
			return o, fmt.Sprintf("member %q given twice: a struct field is set once", m.name)
		}
		seen[m.name] = true
		var field *string
		switch m.name {
		case "first_name":
			field = &o.FirstName
		case "last_name":
			field = &o.LastName
		case "display_name":
			field = &o.DisplayName
		case "avatar_url":
			field = &o.AvatarURL
		case "metadata":
			switch m.value.kind {
			case jsonNull:
				o.Metadata = nil
			case jsonObject:
				o.Metadata = map[string]string{}
				for _, entry := range m.value.members {
					if _, dup := o.Metadata[entry.name]; dup {
						return o, fmt.Sprintf("metadata name %q given twice: a Go map holds a name once", entry.name)
					}
					if entry.value.kind != jsonStr {
						return o, "a metadata value that is a JSON " + entry.value.kind.String() + ": Metadata is map[string]string"
					}
					o.Metadata[entry.name] = entry.value.str
				}
			default:
				return o, "metadata a JSON " + m.value.kind.String() + ": Metadata is map[string]string"
			}
			continue
		default:
			return o, fmt.Sprintf("member %q: SignOptions has no such field (the compiler refuses it)", m.name)
		}
		if m.value.kind != jsonStr {
			return o, fmt.Sprintf("%s a JSON %s: the field is a Go string, which has no null or other type", m.name, m.value.kind)
		}
		*field = m.value.str
	}
	return o, ""
}
