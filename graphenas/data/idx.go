package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/graphenas/graphenas/graphenas/ckpt"
)

// FashionMNIST is the name of the Fashion-MNIST data set.
const FashionMNIST = "fashion-mnist"

// fashionMNISTClasses are the class names, in label order.
var fashionMNISTClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// The IDX magic numbers: 0x0000 0x08 (unsigned byte) then the number of dimensions.
const (
	idxImagesMagic = 2051 // 3 dimensions: N, rows, cols.
	idxLabelsMagic = 2049 // 1 dimension: N.
)

// fashionMNISTFiles are the base names of the four IDX files, without the optional ".gz".
var fashionMNISTFiles = map[string][2]string{
	"train": {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"},
	"test":  {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"},
}

// LoadFashionMNIST reads the four Fashion-MNIST IDX files (gzip-compressed or plain) from dir, or
// from the first standard place that has them when dir is empty.
func LoadFashionMNIST(dir string) (*Dataset, error) {
	if dir == "" {
		var err error
		if dir, err = FindDir(FashionMNIST); err != nil {
			return nil, err
		}
	}
	ds := &Dataset{Name: FashionMNIST, Dir: dir}
	for _, part := range []string{"train", "test"} {
		names := fashionMNISTFiles[part]
		imagesPath, err := idxPath(dir, names[0])
		if err != nil {
			return nil, err
		}
		labelsPath, err := idxPath(dir, names[1])
		if err != nil {
			return nil, err
		}
		set, err := ReadIDX(imagesPath, labelsPath, 10)
		if err != nil {
			return nil, err
		}
		set.Name = FashionMNIST + "/" + part
		set.ClassNames = fashionMNISTClasses
		if part == "train" {
			ds.Train = set
		} else {
			ds.Test = set
		}
	}
	return ds, ds.Check()
}

// idxPath returns base's path in dir, with or without ".gz".
func idxPath(dir, base string) (string, error) {
	for _, name := range []string{base + ".gz", base} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("data: %s: neither %s nor %s.gz found", dir, base, base)
}

// ReadIDX reads an IDX image file and its IDX label file into a Set with one channel.
// numClasses bounds the labels.
func ReadIDX(imagesPath, labelsPath string, numClasses int) (*Set, error) {
	imgDims, pixels, err := readIDXFile(imagesPath, idxImagesMagic, 3)
	if err != nil {
		return nil, err
	}
	lblDims, labels, err := readIDXFile(labelsPath, idxLabelsMagic, 1)
	if err != nil {
		return nil, err
	}
	if imgDims[0] != lblDims[0] {
		return nil, fmt.Errorf("data: %s has %d images but %s has %d labels", imagesPath, imgDims[0], labelsPath, lblDims[0])
	}
	for i, l := range labels {
		if int(l) >= numClasses {
			return nil, fmt.Errorf("data: %s: label %d of item %d is out of range [0, %d)", labelsPath, l, i, numClasses)
		}
	}
	set := &Set{N: imgDims[0], Height: imgDims[1], Width: imgDims[2], Channels: 1,
		Pixels: pixels, Labels: labels, NumClasses: numClasses}
	set.Name = imagesPath
	if err := set.validate(); err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return set, nil
}

// openMaybeGzip opens path, decompressing it when it starts with the gzip magic bytes.
func openMaybeGzip(path string) (io.Reader, func() error, error) {
	f, err := ckpt.OpenRead(path, ckpt.Follow)
	if err != nil {
		return nil, nil, fmt.Errorf("data: %w", err)
	}
	br := bufio.NewReader(f)
	head, _ := br.Peek(2)
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("data: %s: corrupt gzip header: %w", path, err)
		}
		return zr, f.Close, nil
	}
	if strings.HasSuffix(path, ".gz") {
		f.Close()
		return nil, nil, fmt.Errorf("data: %s: named .gz but not gzip-compressed", path)
	}
	return br, f.Close, nil
}

// maxIDXBytes bounds the payload an IDX header may announce (Fashion-MNIST's training images are
// 47 MB; CIFAR-10 as IDX would be 150 MB).
const maxIDXBytes = 1 << 31

// readIDXFile reads an IDX file of unsigned bytes with the given magic number and number of
// dimensions. It reads exactly the announced number of bytes and rejects short or longer files.
// A header cannot make it allocate more than the file holds: the announced size is computed with
// overflow checks, compared with the file's size when it is not compressed, and the payload grows
// only as bytes arrive.
func readIDXFile(path string, wantMagic uint32, wantDims int) (dims []int, payload []byte, err error) {
	r, closeFn, err := openMaybeGzip(path)
	if err != nil {
		return nil, nil, err
	}
	defer closeFn()
	var magic uint32
	if err := binary.Read(r, binary.BigEndian, &magic); err != nil {
		return nil, nil, fmt.Errorf("data: %s: reading the magic number: %w", path, noEOF(err))
	}
	if magic != wantMagic {
		return nil, nil, fmt.Errorf("data: %s: want magic %d, got %d", path, wantMagic, magic)
	}
	size := 1
	dims = make([]int, wantDims)
	for i := range dims {
		var d uint32
		if err := binary.Read(r, binary.BigEndian, &d); err != nil {
			return nil, nil, fmt.Errorf("data: %s: reading dimension %d: %w", path, i, noEOF(err))
		}
		if d == 0 || d > 1<<24 {
			return nil, nil, fmt.Errorf("data: %s: implausible dimension %d = %d", path, i, d)
		}
		dims[i] = int(d)
		var ok bool
		if size, ok = mulBounded(size, int(d), maxIDXBytes); !ok {
			return nil, nil, fmt.Errorf("data: %s: shape %v announces more than %d bytes", path, dims[:i+1], maxIDXBytes)
		}
	}
	if plain, err := os.Stat(path); err == nil && !compressed(r) {
		header := int64(4 + 4*wantDims)
		if want := header + int64(size); plain.Size() < want {
			return nil, nil, fmt.Errorf("data: %s: truncated: %d bytes, but its header announces %d (shape %v)", path, plain.Size(), want, dims)
		}
	}
	payload, err = io.ReadAll(io.LimitReader(r, int64(size)+1))
	if err != nil {
		return nil, nil, fmt.Errorf("data: %s: %w", path, err)
	}
	switch {
	case len(payload) < size:
		return nil, nil, fmt.Errorf("data: %s: truncated: %d data bytes, want %d for shape %v", path, len(payload), size, dims)
	case len(payload) > size:
		return nil, nil, fmt.Errorf("data: %s: trailing bytes after the %d announced by shape %v", path, size, dims)
	}
	return dims, payload, nil
}

// mulBounded returns a·b, and false when it exceeds limit (or a or b is negative), without
// overflowing.
func mulBounded(a, b, limit int) (int, bool) {
	if a < 0 || b < 0 {
		return 0, false
	}
	if b != 0 && a > limit/b {
		return 0, false
	}
	return a * b, a*b <= limit
}

// compressed reports whether r decompresses (a gzip stream), so that its file's size says
// nothing about the payload's.
func compressed(r io.Reader) bool {
	_, ok := r.(*gzip.Reader)
	return ok
}

// noEOF turns a bare EOF into ErrUnexpectedEOF: inside a header, an end of file is a truncation.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
