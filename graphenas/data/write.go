package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
)

// WriteIDX writes set's images and labels as the IDX files "<prefix>-images-idx3-ubyte" and
// "<prefix>-labels-idx1-ubyte" in dir (gzip-compressed with a ".gz" suffix when gz is true). It
// exists so that tests, examples and tools can make small data sets in the real format.
func WriteIDX(dir, prefix string, set *Set, gz bool) error {
	if set.Channels != 1 {
		return fmt.Errorf("data: IDX holds one channel, %s has %d", set.Name, set.Channels)
	}
	var img, lbl bytes.Buffer
	for _, v := range []uint32{idxImagesMagic, uint32(set.N), uint32(set.Height), uint32(set.Width)} {
		_ = binary.Write(&img, binary.BigEndian, v)
	}
	img.Write(set.Pixels)
	for _, v := range []uint32{idxLabelsMagic, uint32(set.N)} {
		_ = binary.Write(&lbl, binary.BigEndian, v)
	}
	lbl.Write(set.Labels)
	if err := writeFile(filepath.Join(dir, prefix+"-images-idx3-ubyte"), img.Bytes(), gz); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, prefix+"-labels-idx1-ubyte"), lbl.Bytes(), gz)
}

// WriteCIFAR writes set (32×32×3) as one CIFAR-10 binary batch file.
func WriteCIFAR(path string, set *Set) error {
	if set.Height != cifarSide || set.Width != cifarSide || set.Channels != 3 {
		return fmt.Errorf("data: CIFAR batches hold 32×32×3 images, %s is %d×%d×%d", set.Name, set.Height, set.Width, set.Channels)
	}
	plane := cifarSide * cifarSide
	out := make([]byte, 0, set.N*cifarRecordSize)
	for i := 0; i < set.N; i++ {
		out = append(out, set.Labels[i])
		hwc := set.Pixels[i*3*plane : (i+1)*3*plane]
		for c := 0; c < 3; c++ {
			for p := 0; p < plane; p++ {
				out = append(out, hwc[3*p+c])
			}
		}
	}
	return writeFile(path, out, false)
}

func writeFile(path string, b []byte, gz bool) error {
	if gz {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		if err := zw.Close(); err != nil {
			return fmt.Errorf("data: compressing %s: %w", path, err)
		}
		b, path = buf.Bytes(), path+".gz"
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	return nil
}
