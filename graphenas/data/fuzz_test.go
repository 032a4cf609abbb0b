package data

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The readers of image files are fuzzed on their bytes: whatever a file holds, they return a set
// that agrees with its own shape, or an error; never a panic or an allocation larger than the file
// can justify. The seed corpus (valid files, plain and gzipped, and a few damaged ones) runs as a
// normal test; `go test -fuzz FuzzReadIDX ./graphenas/data` explores further.

// idxFiles returns the bytes of a small IDX image file and its label file.
func idxFiles(t testing.TB, gz bool) ([]byte, []byte) {
	dir := t.TempDir()
	if err := WriteIDX(dir, "train", tinySet(3, 4, 3, 1, 10), gz); err != nil {
		t.Fatal(err)
	}
	ext := ""
	if gz {
		ext = ".gz"
	}
	img, _ := os.ReadFile(filepath.Join(dir, "train-images-idx3-ubyte"+ext))
	lbl, _ := os.ReadFile(filepath.Join(dir, "train-labels-idx1-ubyte"+ext))
	return img, lbl
}

func FuzzReadIDX(f *testing.F) {
	for _, gz := range []bool{false, true} {
		img, lbl := idxFiles(f, gz)
		f.Add(img, lbl)
		f.Add(img[:len(img)/2], lbl)
		f.Add(append(img, 1), lbl)
	}
	f.Add([]byte{0, 0, 8, 3, 0x40, 0, 0, 0, 0x40, 0, 0, 0, 0x40, 0, 0, 0}, []byte{0, 0, 8, 1, 0, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, img, lbl []byte) {
		dir := t.TempDir()
		ip, lp := filepath.Join(dir, "images"), filepath.Join(dir, "labels")
		os.WriteFile(ip, img, 0o644)
		os.WriteFile(lp, lbl, 0o644)
		set, err := ReadIDX(ip, lp, 10)
		if err != nil {
			return
		}
		if set.validate() != nil || len(set.Pixels) > len(img) && !bytes.HasPrefix(img, []byte{0x1f, 0x8b}) {
			t.Fatalf("a set that does not agree with its file: %d×%d×%d×%d from %d bytes", set.N, set.Height, set.Width, set.Channels, len(img))
		}
	})
}

func FuzzReadCIFAR(f *testing.F) {
	rec := make([]byte, cifarRecordSize)
	rec[0] = 3
	f.Add(rec)
	f.Add(append(rec, rec...))
	f.Add(rec[:100])
	bad := append([]byte(nil), rec...)
	bad[0] = 200
	f.Add(bad)
	f.Fuzz(func(t *testing.T, raw []byte) {
		path := filepath.Join(t.TempDir(), "data_batch_1.bin")
		os.WriteFile(path, raw, 0o644)
		set, err := ReadCIFARBatches(path)
		if err != nil {
			return
		}
		if set.validate() != nil || set.N*cifarRecordSize != len(raw) {
			t.Fatalf("%d images from %d bytes", set.N, len(raw))
		}
	})
}
