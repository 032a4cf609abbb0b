package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// tinySet returns a set whose pixel i of image n is (n*7+i)%256 and whose label is n%classes.
func tinySet(n, h, w, c, classes int) *Set {
	s := &Set{Name: "tiny", N: n, Height: h, Width: w, Channels: c, NumClasses: classes,
		Pixels: make([]byte, n*h*w*c), Labels: make([]uint8, n)}
	for k := 0; k < n; k++ {
		s.Labels[k] = uint8(k % classes)
		for i := 0; i < h*w*c; i++ {
			s.Pixels[k*h*w*c+i] = byte((k*7 + i) % 256)
		}
	}
	return s
}

func writeFashion(t *testing.T, dir string, gz bool) {
	t.Helper()
	if err := WriteIDX(dir, "train", tinySet(12, 4, 3, 1, 10), gz); err != nil {
		t.Fatal(err)
	}
	if err := WriteIDX(dir, "t10k", tinySet(5, 4, 3, 1, 10), gz); err != nil {
		t.Fatal(err)
	}
}

func TestLoadFashionMNIST(t *testing.T) {
	for _, gz := range []bool{true, false} {
		dir := t.TempDir()
		writeFashion(t, dir, gz)
		ds, err := LoadFashionMNIST(dir)
		if err != nil {
			t.Fatalf("gz=%v: %v", gz, err)
		}
		if ds.Train.N != 12 || ds.Test.N != 5 || ds.Train.Height != 4 || ds.Train.Width != 3 || ds.Train.Channels != 1 {
			t.Fatalf("gz=%v: shapes train %d×%d×%d test %d", gz, ds.Train.N, ds.Train.Height, ds.Train.Width, ds.Test.N)
		}
		// Image 1 starts at pixel value 7; label 1. Image 11's first pixel is 77, label 1.
		if got := ds.Train.Pixels[12:15]; !bytes.Equal(got, []byte{7, 8, 9}) {
			t.Errorf("gz=%v: first pixels of image 1 = %v, want [7 8 9]", gz, got)
		}
		if ds.Train.Labels[1] != 1 || ds.Train.Labels[11] != 1 || ds.Test.Labels[4] != 4 {
			t.Errorf("gz=%v: labels %v / %v", gz, ds.Train.Labels, ds.Test.Labels)
		}
		if ds.Train.ClassNames[9] != "Ankle boot" {
			t.Errorf("class names %v", ds.Train.ClassNames)
		}
	}
}

func TestIDXErrors(t *testing.T) {
	mk := func(t *testing.T, mutate func(img, lbl []byte) ([]byte, []byte)) string {
		dir := t.TempDir()
		writeFashion(t, dir, false)
		imgPath := filepath.Join(dir, "train-images-idx3-ubyte")
		lblPath := filepath.Join(dir, "train-labels-idx1-ubyte")
		img, _ := os.ReadFile(imgPath)
		lbl, _ := os.ReadFile(lblPath)
		img, lbl = mutate(img, lbl)
		os.WriteFile(imgPath, img, 0o644)
		os.WriteFile(lblPath, lbl, 0o644)
		return dir
	}
	cases := []struct {
		name   string
		mutate func(img, lbl []byte) ([]byte, []byte)
		want   string
	}{
		{"truncated images", func(img, lbl []byte) ([]byte, []byte) { return img[:len(img)-5], lbl }, "truncated"},
		{"truncated header", func(img, lbl []byte) ([]byte, []byte) { return img[:6], lbl }, "reading dimension 0"},
		{"wrong magic", func(img, lbl []byte) ([]byte, []byte) {
			binary.BigEndian.PutUint32(img, 2049)
			return img, lbl
		}, "want magic 2051, got 2049"},
		{"count mismatch", func(img, lbl []byte) ([]byte, []byte) {
			binary.BigEndian.PutUint32(lbl[4:], 11)
			return img, lbl[:len(lbl)-1]
		}, "has 12 images but"},
		{"label out of range", func(img, lbl []byte) ([]byte, []byte) {
			lbl[8+3] = 10
			return img, lbl
		}, "label 10 of item 3 is out of range"},
		{"trailing bytes", func(img, lbl []byte) ([]byte, []byte) { return append(img, 1, 2), lbl }, "trailing bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadFashionMNIST(mk(t, c.mutate))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
			if !strings.Contains(err.Error(), "idx") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestCorruptGzip(t *testing.T) {
	dir := t.TempDir()
	writeFashion(t, dir, true)
	p := filepath.Join(dir, "train-images-idx3-ubyte.gz")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, b[:len(b)/2], 0o644)
	_, err := LoadFashionMNIST(dir)
	if err == nil || !strings.Contains(err.Error(), "train-images-idx3-ubyte.gz") {
		t.Fatalf("error %v, want one naming the truncated gzip file", err)
	}
	// A file named .gz that is not compressed is refused by name.
	var buf bytes.Buffer
	gzip.NewWriter(&buf).Close()
	os.WriteFile(p, []byte("plain"), 0o644)
	if _, err := LoadFashionMNIST(dir); err == nil || !strings.Contains(err.Error(), "not gzip-compressed") {
		t.Fatalf("error %v", err)
	}
}

func TestMissingDataListsPlaces(t *testing.T) {
	t.Setenv(EnvDataDir, filepath.Join(t.TempDir(), "nothing-here"))
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	_, err := FindDir(CIFAR10)
	if err == nil {
		t.Fatal("no error for missing CIFAR-10")
	}
	for _, want := range []string{"nothing-here", "/usr/share/datasets/cifar10", "graphenas/cifar10", "CIFAR-10 binary"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := Load("mnist-2", ""); err == nil || !strings.Contains(err.Error(), "unknown data set") {
		t.Errorf("unknown data set: %v", err)
	}
}

func TestFindDirUsesEnv(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, FashionMNIST)
	os.MkdirAll(sub, 0o755)
	writeFashion(t, sub, true)
	t.Setenv(EnvDataDir, root)
	dir, err := FindDir(FashionMNIST)
	if err != nil || dir != sub {
		t.Fatalf("FindDir = %q, %v; want %q", dir, err, sub)
	}
}

func TestCIFAR(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "cifar-10-batches-bin")
	os.MkdirAll(sub, 0o755)
	train := tinySet(4, 32, 32, 3, 10)
	for _, f := range cifar10TrainFiles {
		if err := WriteCIFAR(filepath.Join(sub, f), train); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteCIFAR(filepath.Join(sub, cifar10TestFile), tinySet(3, 32, 32, 3, 10)); err != nil {
		t.Fatal(err)
	}
	// The raw file is channel-major: byte 1 is red of pixel 0, byte 1+1024 is green of pixel 0.
	raw, _ := os.ReadFile(filepath.Join(sub, "data_batch_1.bin"))
	if len(raw) != 4*3073 || raw[0] != 0 || raw[1] != 0 || raw[1+1024] != 1 || raw[1+2048] != 2 {
		t.Fatalf("raw record: len %d, %v %v %v %v", len(raw), raw[0], raw[1], raw[1025], raw[2049])
	}
	ds, err := LoadCIFAR10(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.N != 20 || ds.Test.N != 3 || ds.Train.Channels != 3 {
		t.Fatalf("N train %d test %d", ds.Train.N, ds.Test.N)
	}
	if !bytes.Equal(ds.Train.Pixels[:4], []byte{0, 1, 2, 3}) || !bytes.Equal(ds.Train.Pixels[3072:3075], []byte{7, 8, 9}) {
		t.Errorf("HWC pixels %v / %v", ds.Train.Pixels[:4], ds.Train.Pixels[3072:3075])
	}
	if ds.Train.Labels[5] != 1 || ds.Test.Labels[2] != 2 {
		t.Errorf("labels %v %v", ds.Train.Labels, ds.Test.Labels)
	}

	// Truncated and bad-label batches.
	os.WriteFile(filepath.Join(sub, "data_batch_3.bin"), raw[:3073*2+100], 0o644)
	if _, err := LoadCIFAR10(dir); err == nil || !strings.Contains(err.Error(), "data_batch_3.bin") || !strings.Contains(err.Error(), "whole number") {
		t.Fatalf("truncated batch: %v", err)
	}
	bad := append([]byte(nil), raw...)
	bad[3073] = 12
	os.WriteFile(filepath.Join(sub, "data_batch_3.bin"), bad, 0o644)
	if _, err := LoadCIFAR10(dir); err == nil || !strings.Contains(err.Error(), "label 12 of record 1") {
		t.Fatalf("bad label: %v", err)
	}
}

func TestSplit(t *testing.T) {
	w, a, err := Split(1000, 0.8, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != 800 || len(a) != 200 {
		t.Fatalf("sizes %d/%d", len(w), len(a))
	}
	seen := make([]int, 1000)
	for _, i := range append(append([]int{}, w...), a...) {
		seen[i]++
	}
	for i, c := range seen {
		if c != 1 {
			t.Fatalf("index %d appears %d times", i, c)
		}
	}
	w2, _, _ := Split(1000, 0.8, 7)
	w3, _, _ := Split(1000, 0.8, 8)
	same := func(x, y []int) bool {
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	if !same(w, w2) {
		t.Error("same seed, different split")
	}
	if same(w, w3) {
		t.Error("different seeds, same split")
	}
	for _, bad := range []float64{0, 1, -0.5, 1.5} {
		if _, _, err := Split(10, bad, 1); err == nil {
			t.Errorf("fraction %g accepted", bad)
		}
	}
}

func TestBatcherRollsOverAndResumes(t *testing.T) {
	set := tinySet(10, 2, 2, 1, 10)
	b, err := NewBatcher(set, []int{0, 2, 4, 6, 8}, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	var labels []int32
	var saved Position
	for k := 0; k < 10; k++ { // 20 draws = 4 epochs of 5.
		if k == 4 {
			saved = b.Position()
		}
		batch := b.Next(nil)
		if batch.Size != 2 || len(batch.Images) != 8 {
			t.Fatalf("batch %d shape %d/%d", k, batch.Size, len(batch.Images))
		}
		labels = append(labels, batch.Labels...)
	}
	for e := 0; e < 4; e++ {
		count := map[int32]int{}
		for _, l := range labels[e*5 : e*5+5] {
			count[l]++
		}
		for _, want := range []int32{0, 2, 4, 6, 8} {
			if count[want] != 1 {
				t.Fatalf("epoch %d labels %v: not each image once", e, labels[e*5:e*5+5])
			}
		}
	}
	// Resume from the saved position: same draws from batch 4 on.
	b2, _ := NewBatcher(set, []int{0, 2, 4, 6, 8}, 2, 3)
	if err := b2.SetPosition(saved); err != nil {
		t.Fatal(err)
	}
	for k := 4; k < 10; k++ {
		got := b2.Next(nil).Labels
		if got[0] != labels[2*k] || got[1] != labels[2*k+1] {
			t.Fatalf("resumed batch %d = %v, want %v", k, got, labels[2*k:2*k+2])
		}
	}
	// Pixels are scaled to [0,1]: image 2 starts with byte 14.
	seq := b.Sequential(1, 1, nil)
	if seq.Labels[0] != 2 || seq.Images[0] != float32(14)/255 {
		t.Errorf("sequential %v %v", seq.Labels, seq.Images)
	}
	if _, err := NewBatcher(set, []int{0, 11}, 1, 0); err == nil {
		t.Error("out-of-range index accepted")
	}
	if _, err := NewBatcher(set, nil, 11, 0); err == nil {
		t.Error("batch larger than the set accepted")
	}
}

func TestSyntheticDeterministic(t *testing.T) {
	a := Synthetic("a", 20, 8, 8, 1, 4, 5)
	b := Synthetic("b", 20, 8, 8, 1, 4, 5)
	if !bytes.Equal(a.Pixels, b.Pixels) || !bytes.Equal(a.Labels, b.Labels) {
		t.Fatal("same seed, different sets")
	}
	if err := a.validate(); err != nil {
		t.Fatal(err)
	}
}

func TestHead(t *testing.T) {
	ds := SyntheticDataset(50, 20, 4, 4, 1, 3, 1)
	h := ds.Head(10, 0)
	if h.Train.N != 10 || len(h.Train.Labels) != 10 || len(h.Train.Pixels) != 160 || h.Test != ds.Test {
		t.Fatalf("head: %d images, %d labels, %d bytes", h.Train.N, len(h.Train.Labels), len(h.Train.Pixels))
	}
	if h.Train.validate() != nil || h.Name == ds.Name || ds.Head(0, 0).Name != ds.Name {
		t.Errorf("names %q %q", h.Name, ds.Name)
	}
}

// TestIDXHostileHeaders checks headers crafted to break the reader: a shape whose byte count
// overflows int, and a 16-byte file announcing 2 GiB, plain and gzipped. Each is a one-line error
// naming the file, and the reader allocates about what the file holds, not what it announces.
func TestIDXHostileHeaders(t *testing.T) {
	header := func(dims ...uint32) []byte {
		b := binary.BigEndian.AppendUint32(nil, idxImagesMagic)
		for _, d := range dims {
			b = binary.BigEndian.AppendUint32(b, d)
		}
		return b
	}
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"overflowing shape", header(1<<16, 1<<24, 1<<24), "announces more than"},
		{"overflowing shape, gzip", gz(header(1<<16, 1<<24, 1<<24)), "announces more than"},
		{"2 GiB announced, plain", header(1<<13, 1<<9, 1<<9), "truncated"},
		{"2 GiB announced, gzip", gz(header(1<<13, 1<<9, 1<<9)), "truncated"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "train-images-idx3-ubyte")
			if err := os.WriteFile(path, c.file, 0o644); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, err := readIDXFile(path, idxImagesMagic, 3)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %v, want one naming %s and containing %q", err, path, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
				t.Errorf("reading a %d-byte file allocated %d MB", len(c.file), grew>>20)
			}
		})
	}
	// The shape check of Set: a shape larger than its bytes is refused, even when the product of
	// its dimensions would overflow.
	s := &Set{Name: "crafted", N: 1 << 16, Height: 1 << 24, Width: 1 << 24, Channels: 1, Pixels: make([]byte, 16),
		Labels: make([]uint8, 1<<16), NumClasses: 10}
	if err := s.validate(); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("validate: %v", err)
	}
}

// Test images of another kind than the training images are refused when the data set loads, not
// after a whole training (reliability, round two: 10×10 test images with 28×28 training images).
func TestLoadRefusesMismatchedParts(t *testing.T) {
	dir := t.TempDir()
	if err := WriteIDX(dir, "train", tinySet(12, 28, 28, 1, 10), false); err != nil {
		t.Fatal(err)
	}
	if err := WriteIDX(dir, "t10k", tinySet(5, 10, 10, 1, 10), false); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(FashionMNIST, dir); err == nil || !strings.Contains(err.Error(), "test images are 10×10×1") {
		t.Errorf("10×10 test images with 28×28 training images: %v", err)
	}
}
