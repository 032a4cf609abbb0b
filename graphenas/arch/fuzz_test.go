package arch

import (
	"encoding/json"
	"testing"
)

// The architecture's text and JSON forms are fuzzed: whatever is parsed is valid and prints back
// to a text that parses to the same architecture. The seed corpus runs as a normal test.

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1:dwconv7 2:maxpool7 3:conv3 | 0>1 0>2 0>3 1>2 1>4 2>3 2>4 3>4", "1:conv3 | 0>1 1>2", "|", "1:conv3 |",
		"1:conv3 2:conv5 | 0>2 2>1", "1:conv3 1:conv5 | 0>1", "64:conv3 | 0>64"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			return
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("Parse(%q) gave an invalid architecture: %v", s, err)
		}
		b, err := Parse(a.String())
		if err != nil || !b.Equal(a) {
			t.Fatalf("%q → %q does not parse back to itself: %v", s, a.String(), err)
		}
	})
}

func FuzzArchJSON(f *testing.F) {
	a, _ := Parse("1:dwconv7 2:maxpool7 3:conv3 | 0>1 0>2 0>3 1>2 1>4 2>3 2>4 3>4")
	good, _ := json.Marshal(a)
	f.Add(good)
	f.Add([]byte(`{"nodes":3,"ops":["conv3"],"edges":[[0,1],[1,2]]}`))
	f.Add([]byte(`{"nodes":100000000,"ops":[],"edges":[]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var a Arch
		if err := json.Unmarshal(raw, &a); err != nil {
			return
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("%s decoded to an invalid architecture: %v", raw, err)
		}
		again, _ := json.Marshal(&a)
		var b Arch
		if err := json.Unmarshal(again, &b); err != nil || !b.Equal(&a) {
			t.Fatalf("%s does not round-trip: %v", raw, err)
		}
	})
}
