package layeridentity

import (
	"errors"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// headerEnum returns the members of the C enum whose typedef name is typeName in
// include/layer_identity.h, as name -> value, in order.
func headerEnum(t *testing.T, typeName string) (names []string, values map[string]int) {
	t.Helper()
	header, err := os.ReadFile(repoPath("include", "layer_identity.h"))
	if err != nil {
		t.Fatal(err)
	}
	body := regexp.MustCompile(`typedef enum \{([^}]*)\} ` + typeName + `;`).FindSubmatch(header)
	if body == nil {
		t.Fatalf("no enum %s in layer_identity.h", typeName)
	}
	comments := regexp.MustCompile(`(?s)/\*.*?\*/|//[^\n]*`)
	values = map[string]int{}
	for _, m := range regexp.MustCompile(`(\w+)\s*=\s*(\d+)\s*,`).FindAllSubmatch(comments.ReplaceAll(body[1], nil), -1) {
		v, _ := strconv.Atoi(string(m[2]))
		names = append(names, string(m[1]))
		values[string(m[1])] = v
	}
	if len(names) == 0 {
		t.Fatalf("enum %s has no members", typeName)
	}
	return names, values
}

// Every LayerStatus of the header is in the Go table under its own name and value, with a
// sentinel, and the library names it the same; the table has nothing else.
func TestStatusTableMatchesHeader(t *testing.T) {
	names, values := headerEnum(t, "LayerStatus")
	if len(names) != len(statusTable) {
		t.Errorf("the header has %d statuses, the Go table %d", len(names), len(statusTable))
	}
	for _, name := range names {
		v := values[name]
		if v >= len(statusTable) || statusTable[v].name != name {
			t.Errorf("%s = %d is not in the Go status table", name, v)
			continue
		}
		status := Status(v)
		if got := libraryStatusName(v); got != name {
			t.Errorf("layer_status_name(%d) = %q, want %q", v, got, name)
		}
		if status == StatusOK {
			continue
		}
		sentinel := statusTable[v].sentinel
		if sentinel == nil {
			t.Errorf("%s has no sentinel", name)
			continue
		}
		err := error(&Error{Status: status, Name: name, Message: "x"})
		if !errors.Is(err, sentinel) || sentinel.Error() != "layeridentity: "+name {
			t.Errorf("%s: errors.Is with its sentinel %v fails", name, sentinel)
		}
		for other := range statusTable {
			if other != v && statusTable[other].sentinel != nil && errors.Is(err, statusTable[other].sentinel) {
				t.Errorf("%s matches the sentinel of %s", name, statusTable[other].name)
			}
		}
	}
	if got := Status(len(statusTable)).String(); !strings.HasPrefix(got, "LAYER_STATUS_UNKNOWN") {
		t.Errorf("an undefined status is %q", got)
	}
}

// Every LayerEit of the header is in the Go table as "eit_" + its lower-case name, which is
// also what layer_eit_name says; the table has nothing else.
func TestEitTableMatchesHeader(t *testing.T) {
	names, values := headerEnum(t, "LayerEit")
	if len(names) != len(eitTable) {
		t.Errorf("the header has %d LayerEit values, the Go table %d", len(names), len(eitTable))
	}
	for _, name := range names {
		v := values[name]
		want := "eit_" + strings.ToLower(strings.TrimPrefix(name, "LAYER_EIT_"))
		if name == "LAYER_EIT_NONE" {
			want = ""
		}
		if v >= len(eitTable) || eitTable[v] != want {
			t.Errorf("%s = %d: the Go table lacks %q", name, v, want)
			continue
		}
		if got := libraryEitName(v); got != want {
			t.Errorf("layer_eit_name(%d) = %q, want %q", v, got, want)
		}
	}
}

func TestVersions(t *testing.T) {
	if ABIVersion() < RequiredABIVersion || RequiredABIVersion < 2 {
		t.Fatalf("ABI %d, required %d", ABIVersion(), RequiredABIVersion)
	}
	cargo, err := os.ReadFile(repoPath("Cargo.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := regexp.MustCompile(`(?m)^version = "([^"]+)"`).FindSubmatch(cargo); want == nil || Version() != string(want[1]) {
		t.Fatalf("Version() = %q, Cargo.toml says %q", Version(), want)
	}
	if err := checkABI(); err != nil {
		t.Fatal(err)
	}
}
