package data

import (
	"fmt"
	"math/rand/v2"
)

// DefaultWeightsFraction is the share of the training set the shared weights train on; the rest
// scores architectures (graphenas/DESIGN.md §4).
const DefaultWeightsFraction = 0.8

// Split divides the n indices [0, n) at random into a weights part (round(fraction·n) indices)
// and an architecture part (the rest). The same seed always gives the same split; both parts
// are sorted, disjoint and together cover [0, n).
func Split(n int, fraction float64, seed uint64) (weights, arch []int, err error) {
	if n <= 0 {
		return nil, nil, fmt.Errorf("data: cannot split %d items", n)
	}
	if !(fraction > 0 && fraction < 1) {
		return nil, nil, fmt.Errorf("data: split fraction %g is not in (0, 1)", fraction)
	}
	k := int(fraction*float64(n) + 0.5)
	if k == 0 || k == n {
		return nil, nil, fmt.Errorf("data: split of %d items at %g leaves one part empty", n, fraction)
	}
	perm := rand.New(rand.NewPCG(seed, 0x5EED5)).Perm(n)
	inWeights := make([]bool, n)
	for _, i := range perm[:k] {
		inWeights[i] = true
	}
	weights, arch = make([]int, 0, k), make([]int, 0, n-k)
	for i, w := range inWeights {
		if w {
			weights = append(weights, i)
		} else {
			arch = append(arch, i)
		}
	}
	return weights, arch, nil
}

// Batch is one batch of images and labels, ready for the model.
type Batch struct {
	// Images holds [Size, Height, Width, Channels] float32 values in [0, 1].
	Images []float32
	// Labels holds one class index per image.
	Labels []int32
	// Size is the number of images.
	Size int
}

// Position is where a Batcher stands; saving and restoring it resumes the exact sequence.
type Position struct {
	Epoch  int `json:"epoch"`
	Cursor int `json:"cursor"`
}

// Batcher draws shuffled batches from a subset of a Set without end: when an epoch runs out,
// the next one starts with a fresh permutation. The permutation of epoch e depends only on the
// seed and e, so a Position is all the state there is.
type Batcher struct {
	set       *Set
	indices   []int
	batchSize int
	seed      uint64
	pos       Position
	order     []int // indices permuted for pos.Epoch
}

// NewBatcher returns a Batcher over the given indices of set (all of set when indices is nil).
func NewBatcher(set *Set, indices []int, batchSize int, seed uint64) (*Batcher, error) {
	if set == nil {
		return nil, fmt.Errorf("data: batcher over a nil set")
	}
	if indices == nil {
		indices = make([]int, set.N)
		for i := range indices {
			indices[i] = i
		}
	}
	if batchSize <= 0 || batchSize > len(indices) {
		return nil, fmt.Errorf("data: %s: batch size %d for %d images", set.Name, batchSize, len(indices))
	}
	for _, i := range indices {
		if i < 0 || i >= set.N {
			return nil, fmt.Errorf("data: %s: index %d out of range [0, %d)", set.Name, i, set.N)
		}
	}
	b := &Batcher{set: set, indices: indices, batchSize: batchSize, seed: seed}
	b.shuffle()
	return b, nil
}

// BatchSize returns the number of images per batch.
func (b *Batcher) BatchSize() int { return b.batchSize }

// Len returns the number of images the Batcher draws from.
func (b *Batcher) Len() int { return len(b.indices) }

// Position returns where the Batcher stands.
func (b *Batcher) Position() Position { return b.pos }

// SetPosition moves the Batcher to a saved Position.
func (b *Batcher) SetPosition(p Position) error {
	if p.Epoch < 0 || p.Cursor < 0 || p.Cursor > len(b.indices) {
		return fmt.Errorf("data: position %+v out of range for %d images", p, len(b.indices))
	}
	b.pos = p
	b.shuffle()
	return nil
}

func (b *Batcher) shuffle() {
	b.order = append(b.order[:0], b.indices...)
	r := rand.New(rand.NewPCG(b.seed, uint64(b.pos.Epoch)+1))
	r.Shuffle(len(b.order), func(i, j int) { b.order[i], b.order[j] = b.order[j], b.order[i] })
}

// Next returns the next batch, reusing dst's memory when it is large enough. A batch that would
// cross the end of an epoch is completed from the next epoch's permutation.
func (b *Batcher) Next(dst *Batch) *Batch {
	if dst == nil {
		dst = &Batch{}
	}
	size := b.set.ImageSize()
	dst.Size = b.batchSize
	dst.Images = resize(dst.Images, b.batchSize*size)
	if cap(dst.Labels) < b.batchSize {
		dst.Labels = make([]int32, b.batchSize)
	}
	dst.Labels = dst.Labels[:b.batchSize]
	for k := 0; k < b.batchSize; k++ {
		if b.pos.Cursor == len(b.order) {
			b.pos = Position{Epoch: b.pos.Epoch + 1}
			b.shuffle()
		}
		i := b.order[b.pos.Cursor]
		b.pos.Cursor++
		dst.Labels[k] = int32(b.set.Labels[i])
		PixelsToFloat(dst.Images[k*size:(k+1)*size], b.set.Pixels[i*size:(i+1)*size])
	}
	return dst
}

// Sequential returns the images [start, start+n) of the Batcher's indices in their original
// order, for evaluation passes that must see every image once.
func (b *Batcher) Sequential(start, n int, dst *Batch) *Batch {
	if dst == nil {
		dst = &Batch{}
	}
	size := b.set.ImageSize()
	dst.Size = n
	dst.Images = resize(dst.Images, n*size)
	if cap(dst.Labels) < n {
		dst.Labels = make([]int32, n)
	}
	dst.Labels = dst.Labels[:n]
	for k := 0; k < n; k++ {
		i := b.indices[(start+k)%len(b.indices)]
		dst.Labels[k] = int32(b.set.Labels[i])
		PixelsToFloat(dst.Images[k*size:(k+1)*size], b.set.Pixels[i*size:(i+1)*size])
	}
	return dst
}

// PixelsToFloat writes bytes scaled to [0, 1] into dst.
func PixelsToFloat(dst []float32, src []byte) {
	for i, p := range src {
		dst[i] = float32(p) / 255
	}
}

func resize(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}
