package ckpt

import (
	"bytes"
	"testing"
)

// The checkpoint framing is fuzzed: Unframe never panics, and whatever it accepts frames back to
// the same bytes. The seed corpus runs as a normal test.

func FuzzUnframe(f *testing.F) {
	const magic = "GRAPHENAS-TEST\n"
	good := Frame(magic, 3, []byte(`{"a":1}`))
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(append(append([]byte(nil), good...), 0))
	f.Add([]byte(magic))
	f.Add([]byte(magic + "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		version, body, err := Unframe(raw, magic)
		if err != nil {
			return
		}
		if again := Frame(magic, version, body); !bytes.Equal(again, raw) {
			t.Fatalf("accepted %q, which frames back to %q", raw, again)
		}
	})
}
