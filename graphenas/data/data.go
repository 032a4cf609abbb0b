// Package data loads the image data sets GraphEnas searches on and feeds them in batches.
//
// Fashion-MNIST (Xiao et al. 2017, arXiv:1708.07747) is the offline default: Debian's package
// dataset-fashion-mnist installs its IDX files in /usr/share/datasets/fashion-mnist. CIFAR-10
// (Krizhevsky 2009) is read from its binary batches when present. Images are kept as bytes
// (HWC order) and converted to float32 in [0, 1] one batch at a time.
//
// The training set is split into a "weights" part, on which the shared weights train, and an
// "architecture" part, on which architectures are scored (80/20 by default, as in graphenas/DESIGN.md §4).
package data

import (
	"fmt"
	"hash/fnv"
)

// Set is a labelled image set held in memory.
type Set struct {
	// Name says where the set came from, e.g. "fashion-mnist/train".
	Name string
	// N, Height, Width, Channels give the shape of Pixels: [N, Height, Width, Channels].
	N, Height, Width, Channels int
	// Pixels holds the raw pixel bytes, image after image, in HWC order.
	Pixels []byte
	// Labels holds one class index per image, each below NumClasses.
	Labels []uint8
	// NumClasses is the number of classes.
	NumClasses int
	// ClassNames names the classes, if known.
	ClassNames []string
}

// ImageSize returns the number of bytes (and of float32 values) per image.
func (s *Set) ImageSize() int { return s.Height * s.Width * s.Channels }

// validate checks that the set's slices agree with its shape.
func (s *Set) validate() error {
	if s.N <= 0 || s.Height <= 0 || s.Width <= 0 || s.Channels <= 0 {
		return fmt.Errorf("%s: empty or malformed shape [%d,%d,%d,%d]", s.Name, s.N, s.Height, s.Width, s.Channels)
	}
	// The shape must describe the bytes there are, without overflowing on the way.
	total := 1
	for _, d := range []int{s.N, s.Height, s.Width, s.Channels} {
		var ok bool
		if total, ok = mulBounded(total, d, len(s.Pixels)); !ok {
			return fmt.Errorf("%s: shape [%d,%d,%d,%d] is larger than its %d pixel bytes", s.Name, s.N, s.Height, s.Width, s.Channels, len(s.Pixels))
		}
	}
	if len(s.Pixels) != s.N*s.ImageSize() {
		return fmt.Errorf("%s: %d pixel bytes for %d images of %d bytes", s.Name, len(s.Pixels), s.N, s.ImageSize())
	}
	if len(s.Labels) != s.N {
		return fmt.Errorf("%s: %d labels for %d images", s.Name, len(s.Labels), s.N)
	}
	for i, l := range s.Labels {
		if int(l) >= s.NumClasses {
			return fmt.Errorf("%s: label %d of image %d is out of range [0, %d)", s.Name, l, i, s.NumClasses)
		}
	}
	return nil
}

// Dataset is a training set and a test set of the same kind of images.
type Dataset struct {
	// Name of the data set, e.g. "fashion-mnist".
	Name string
	// Dir is the folder it was read from.
	Dir string
	// Train and Test are the two official parts.
	Train, Test *Set
}

// Check returns an error unless the two parts hold the same kind of images: the same height,
// width, channels and classes (a network trained on one part is tested on the other).
func (d *Dataset) Check() error {
	if d.Train == nil || d.Test == nil {
		return fmt.Errorf("data: %s: need a training and a test set", d.Name)
	}
	tr, te := d.Train, d.Test
	if tr.Height != te.Height || tr.Width != te.Width || tr.Channels != te.Channels || tr.NumClasses != te.NumClasses {
		return fmt.Errorf("data: %s: the test images are %d×%d×%d in %d classes, the training images %d×%d×%d in %d: they must be of one kind",
			d.Name, te.Height, te.Width, te.Channels, te.NumClasses, tr.Height, tr.Width, tr.Channels, tr.NumClasses)
	}
	return nil
}

// Load reads the data set called name ("fashion-mnist" or "cifar10"). An empty dir means: look in
// the standard places (see FindDir).
func Load(name, dir string) (*Dataset, error) {
	var ds *Dataset
	var err error
	switch name {
	case FashionMNIST:
		ds, err = LoadFashionMNIST(dir)
	case CIFAR10:
		ds, err = LoadCIFAR10(dir)
	default:
		return nil, fmt.Errorf("data: unknown data set %q (known: %s, %s)", name, FashionMNIST, CIFAR10)
	}
	if err != nil {
		return nil, err
	}
	return ds, ds.Check()
}

// Head returns the first n images of the set (all of them when n ≤ 0 or n ≥ N), sharing memory.
func (s *Set) Head(n int) *Set {
	if n <= 0 || n >= s.N {
		return s
	}
	h := *s
	h.Name = fmt.Sprintf("%s[:%d]", s.Name, n)
	h.N, h.Pixels, h.Labels = n, s.Pixels[:n*s.ImageSize()], s.Labels[:n]
	return &h
}

// Fingerprint identifies the data set well enough to refuse resuming a run on another one: its
// name, the shapes of its two parts and a hash of their labels.
func (d *Dataset) Fingerprint() string {
	h := fnv.New64a()
	for _, set := range []*Set{d.Train, d.Test} {
		fmt.Fprintf(h, "%d %d %d %d %d;", set.N, set.Height, set.Width, set.Channels, set.NumClasses)
		h.Write(set.Labels)
	}
	return fmt.Sprintf("%s/%016x", d.Name, h.Sum64())
}

// Head returns a data set of the first nTrain training and nTest test images (0: all), for quick
// runs; the official files are shuffled, so the classes stay balanced.
func (d *Dataset) Head(nTrain, nTest int) *Dataset {
	h := *d
	h.Train, h.Test = d.Train.Head(nTrain), d.Test.Head(nTest)
	if h.Train != d.Train || h.Test != d.Test {
		h.Name = fmt.Sprintf("%s[:%d,:%d]", d.Name, h.Train.N, h.Test.N)
	}
	return &h
}
