package data

import (
	"fmt"
	"math/rand/v2"
)

// Synthetic returns a small learnable image set: class k is a bright k-th horizontal band (of
// height ⌈h/classes⌉, wrapping) over uniform noise, so a small CNN separates the classes in a
// few dozen batches. It is for tests and examples; the same seed gives the same set.
func Synthetic(name string, n, height, width, channels, classes int, seed uint64) *Set {
	r := rand.New(rand.NewPCG(seed, 0x5171))
	set := &Set{Name: name, N: n, Height: height, Width: width, Channels: channels, NumClasses: classes,
		Pixels: make([]byte, n*height*width*channels), Labels: make([]uint8, n)}
	band := (height + classes - 1) / classes
	size := set.ImageSize()
	for i := 0; i < n; i++ {
		label := r.IntN(classes)
		set.Labels[i] = uint8(label)
		img := set.Pixels[i*size : (i+1)*size]
		for y := 0; y < height; y++ {
			bright := (y/band)%classes == label
			for x := 0; x < width*channels; x++ {
				v := r.IntN(96)
				if bright {
					v += 140
				}
				img[y*width*channels+x] = byte(v)
			}
		}
	}
	if classes > 256 {
		panic(fmt.Sprintf("data.Synthetic: %d classes do not fit a byte label", classes))
	}
	return set
}

// SyntheticDataset returns a Dataset of Synthetic train and test sets.
func SyntheticDataset(nTrain, nTest, height, width, channels, classes int, seed uint64) *Dataset {
	return &Dataset{Name: "synthetic",
		Train: Synthetic("synthetic/train", nTrain, height, width, channels, classes, seed),
		Test:  Synthetic("synthetic/test", nTest, height, width, channels, classes, seed+1)}
}
