package ckpt

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFrameRoundTripAndDamage(t *testing.T) {
	const magic = "TEST-CHECKPOINT\n"
	file := Frame(magic, 7, []byte(`{"x":1}`))
	if v, body, err := Unframe(file, magic); err != nil || v != 7 || string(body) != `{"x":1}` {
		t.Fatalf("round trip: version %d, body %q, %v", v, body, err)
	}
	flipped := append([]byte(nil), file...)
	flipped[len(flipped)-2] ^= 1
	cases := map[string][]byte{
		"checksum mismatch":            flipped,
		"truncated or padded":          file[:len(file)-1],
		"truncated header":             file[:len(magic)+3],
		"not a GraphEnas checkpoint":   Frame("OTHER\n", 7, nil),
		"8 bytes of body, the header ": append(append([]byte(nil), file...), '!'),
	}
	for want, raw := range cases {
		if _, _, err := Unframe(raw, magic); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q, got %v", want, err)
		}
	}
}

func TestCheckFiniteNamesTheField(t *testing.T) {
	type inner struct {
		Loss []float64 `json:"losses"`
	}
	type outer struct {
		In   inner `json:"inner"`
		Bias map[string]float32
		Raw  []byte
	}
	ok := outer{In: inner{Loss: []float64{1, 2}}, Bias: map[string]float32{"a": 0}, Raw: []byte{255}}
	if err := CheckFinite(ok, "state"); err != nil {
		t.Errorf("finite state: %v", err)
	}
	ok.In.Loss[1] = math.Inf(1)
	if err := CheckFinite(&ok, "state"); err == nil || err.Error() != "state.inner.losses[1] is +Inf" {
		t.Errorf("infinite loss: %v", err)
	}
	ok.In.Loss[1] = 0
	ok.Bias["a"] = float32(math.NaN())
	if err := CheckFinite(ok, "state"); err == nil || err.Error() != "state.Bias[a] is NaN" {
		t.Errorf("NaN bias: %v", err)
	}
}

func TestWriteAtomicReplacesAndLeavesNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	for _, text := range []string{"first", "second"} {
		if err := WriteAtomic(path, []byte(text)); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(path); err != nil || string(got) != text {
			t.Fatalf("after writing %q: %q, %v", text, got, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the directory, want only state.json", len(entries))
	}
	if err := WriteAtomic(filepath.Join(dir, "missing", "x"), nil); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

func TestEncodeRefusesWhatCannotBeResumedAndDecodeRefusesUnknownFields(t *testing.T) {
	type state struct {
		Loss float64 `json:"loss"`
	}
	if _, err := Encode("M\n", 1, state{math.NaN()}); err == nil || err.Error() != "checkpoint.loss is NaN" {
		t.Errorf("a diverged state: %v", err)
	}
	file, err := Encode("M\n", 1, state{0.5})
	if err != nil {
		t.Fatal(err)
	}
	_, body, err := Unframe(file, "M\n")
	var back state
	if err != nil || DecodeJSON(body, &back) != nil || back.Loss != 0.5 {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	if err := DecodeJSON([]byte(`{"loss":1,"extra":2}`), &back); err == nil || !strings.Contains(err.Error(), "unknown field") {
		t.Errorf("an unknown field: %v", err)
	}
}
