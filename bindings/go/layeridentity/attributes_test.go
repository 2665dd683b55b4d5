package layeridentity

import (
	"fmt"

	"github.com/layerhq/layer-identity/bindings/go/internal/exactjson"
)

// signOptionsFromJSON maps an attributes_json text onto the typed SignOptions, as a Go
// caller would write them. When the text holds something SignOptions cannot express at
// all, it returns the reason instead.
func signOptionsFromJSON(text []byte) (o SignOptions, inexpressible string) {
	v, err := exactjson.Parse(text)
	if err != nil {
		return o, "not JSON (" + err.Error() + "): SignOptions is a struct, not text"
	}
	if v.Kind != exactjson.Object {
		return o, "a JSON " + v.Kind.String() + ", not an object: SignOptions is a struct"
	}
	seen := map[string]bool{}
	for _, m := range v.Members {
		if seen[m.Name] {
			return o, fmt.Sprintf("member %q given twice: a struct field is set once", m.Name)
		}
		seen[m.Name] = true
		var field *string
		switch m.Name {
		case "first_name":
			field = &o.FirstName
		case "last_name":
			field = &o.LastName
		case "display_name":
			field = &o.DisplayName
		case "avatar_url":
			field = &o.AvatarURL
		case "metadata":
			switch m.Value.Kind {
			case exactjson.Null:
				o.Metadata = nil
			case exactjson.Object:
				o.Metadata = map[string]string{}
				for _, entry := range m.Value.Members {
					if _, dup := o.Metadata[entry.Name]; dup {
						return o, fmt.Sprintf("metadata name %q given twice: a Go map holds a name once", entry.Name)
					}
					if entry.Value.Kind != exactjson.String {
						return o, "a metadata value that is a JSON " + entry.Value.Kind.String() + ": Metadata is map[string]string"
					}
					o.Metadata[entry.Name] = entry.Value.Str
				}
			default:
				return o, "metadata a JSON " + m.Value.Kind.String() + ": Metadata is map[string]string"
			}
			continue
		default:
			return o, fmt.Sprintf("member %q: SignOptions has no such field (the compiler refuses it)", m.Name)
		}
		if m.Value.Kind != exactjson.String {
			return o, fmt.Sprintf("%s a JSON %s: the field is a Go string, which has no null or other type", m.Name, m.Value.Kind)
		}
		*field = m.Value.Str
	}
	return o, ""
}
