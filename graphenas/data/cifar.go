package data

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// CIFAR10 is the name of the CIFAR-10 data set.
const CIFAR10 = "cifar10"

// cifar10Classes are the class names, in label order.
var cifar10Classes = []string{"airplane", "automobile", "bird", "cat", "deer",
	"dog", "frog", "horse", "ship", "truck"}

// CIFAR-10's binary format: each record is one label byte, then 32×32 red, 32×32 green and
// 32×32 blue bytes (CHW order).
const (
	cifarSide       = 32
	cifarRecordSize = 1 + 3*cifarSide*cifarSide
)

// cifar10TrainFiles and cifar10TestFile are the batch files of the binary distribution.
var (
	cifar10TrainFiles = []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
		"data_batch_4.bin", "data_batch_5.bin"}
	cifar10TestFile = "test_batch.bin"
)

// LoadCIFAR10 reads the CIFAR-10 binary batches from dir (or from its "cifar-10-batches-bin"
// sub-folder), or from the first standard place that has them when dir is empty.
func LoadCIFAR10(dir string) (*Dataset, error) {
	if dir == "" {
		var err error
		if dir, err = FindDir(CIFAR10); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(filepath.Join(dir, cifar10TestFile)); err != nil {
		if sub := filepath.Join(dir, "cifar-10-batches-bin"); fileExists(filepath.Join(sub, cifar10TestFile)) {
			dir = sub
		}
	}
	var trainPaths []string
	for _, f := range cifar10TrainFiles {
		trainPaths = append(trainPaths, filepath.Join(dir, f))
	}
	train, err := ReadCIFARBatches(trainPaths...)
	if err != nil {
		return nil, err
	}
	test, err := ReadCIFARBatches(filepath.Join(dir, cifar10TestFile))
	if err != nil {
		return nil, err
	}
	train.Name, test.Name = CIFAR10+"/train", CIFAR10+"/test"
	return &Dataset{Name: CIFAR10, Dir: dir, Train: train, Test: test}, nil
}

// ReadCIFARBatches reads CIFAR-10 binary batch files into one Set (32×32×3, HWC order).
func ReadCIFARBatches(paths ...string) (*Set, error) {
	set := &Set{Height: cifarSide, Width: cifarSide, Channels: 3, NumClasses: 10, ClassNames: cifar10Classes}
	plane := cifarSide * cifarSide
	for _, path := range paths {
		raw, err := readAll(path)
		if err != nil {
			return nil, err
		}
		if len(raw) == 0 || len(raw)%cifarRecordSize != 0 {
			return nil, fmt.Errorf("data: %s: %d bytes is not a whole number of %d-byte CIFAR records (truncated or not CIFAR-10)",
				path, len(raw), cifarRecordSize)
		}
		n := len(raw) / cifarRecordSize
		for i := 0; i < n; i++ {
			rec := raw[i*cifarRecordSize : (i+1)*cifarRecordSize]
			if int(rec[0]) >= set.NumClasses {
				return nil, fmt.Errorf("data: %s: label %d of record %d is out of range [0, 10)", path, rec[0], i)
			}
			set.Labels = append(set.Labels, rec[0])
			chw := rec[1:]
			for p := 0; p < plane; p++ { // CHW → HWC
				set.Pixels = append(set.Pixels, chw[p], chw[plane+p], chw[2*plane+p])
			}
		}
		set.N += n
	}
	if len(paths) > 0 {
		set.Name = paths[0]
	}
	if err := set.validate(); err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return set, nil
}

// readAll reads a whole (optionally gzip-compressed) file.
func readAll(path string) ([]byte, error) {
	r, closeFn, err := openMaybeGzip(path)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	// A CIFAR-10 batch file holds 10,000 records of 3,073 bytes: a file that decompresses to far
	// more is not one (and could exhaust memory).
	const limit = 64 << 20
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("data: %s: %w", path, err)
	}
	if len(b) > limit {
		return nil, fmt.Errorf("data: %s holds more than %d bytes, far more than a CIFAR-10 batch file", path, limit)
	}
	return b, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
