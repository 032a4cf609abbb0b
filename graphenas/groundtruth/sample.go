package groundtruth

import (
	"math/rand/v2"

	"github.com/graphenas/graphenas/graphenas/arch"
)

// Sample returns n distinct architectures of nodes nodes drawn uniformly from the connected space
// of the supergraph: every middle node's op uniform over the nine, every edge i → j present with
// probability one half, drawn again until a path leads from the input to the output (arch.Connected)
// and until it differs from the ones drawn before. The draw depends only on seed, so the first k
// architectures of Sample(n, …) are those of Sample(k, …): a table grows without changing its
// start.
func Sample(n, nodes int, seed uint64) []*arch.Arch {
	r := rand.New(rand.NewPCG(seed, 0x67A7D))
	seen := map[string]bool{}
	out := make([]*arch.Arch, 0, n)
	for len(out) < n {
		a := arch.RandomConnected(nodes, 0.5, r)
		if key := a.Key(); !seen[key] {
			seen[key] = true
			out = append(out, a)
		}
	}
	return out
}
