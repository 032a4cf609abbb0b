package supergraph

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/data"
)

// gpuLossTolerance is how far, relatively, the accelerator's training losses may be from the Go
// back-end's on the same seed and batches: XLA on a GPU multiplies float32 in TF32 (about three
// decimal digits) and sums in another order, and the two back-ends run different formulations of
// the same layers (kernels.go).
const gpuLossTolerance = 1e-2

// TestGPUCheck is docker/gpu-check.sh's test (GRAPHENAS_GPU_CHECK=1), for a machine with an
// accelerator: it prints the PJRT plugin and its API version, checks one tiny computation, trains
// the child network on the same seed and batches on the accelerator and on the Go back-end (the
// losses must agree within gpuLossTolerance), and measures training images/s and the first-batch
// cost (graph building and XLA compilation) of new architectures. It prints one line starting
// with GPUCHECK holding the measurements as JSON.
func TestGPUCheck(t *testing.T) {
	if os.Getenv("GRAPHENAS_GPU_CHECK") != "1" {
		t.Skip("run by docker/gpu-check.sh (GRAPHENAS_GPU_CHECK=1)")
	}
	accel, choice, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("back-end: %s (%s)\n", choice.Config, choice.Reason)
	if choice.Warning != "" {
		fmt.Println("warning:", choice.Warning)
	}
	if !backend.IsXLA(accel) {
		t.Fatalf("no accelerator back-end: %s %s", choice.Reason, choice.Warning)
	}
	desc := accel.Name()
	if d, ok := accel.(interface{ Description() string }); ok {
		desc = d.Description() // names the plugin and its PJRT C API version
	}
	fmt.Println("plugin:", desc)
	res := map[string]any{"backend": choice.Config, "plugin": choice.Plugin, "description": desc}

	// One tiny computation: [[1, 2], [3, 4]]·[[5], [6]] = [[17], [39]].
	tiny, err := CallOnce(accel, func(a, b *Node) *Node { return Dot(a, b).Product() },
		tensors.FromValue([][]float32{{1, 2}, {3, 4}}), tensors.FromValue([][]float32{{5}, {6}}))
	if err != nil {
		t.Fatalf("tiny computation: %v", err)
	}
	got := tensors.MustCopyFlatData[float32](tiny)
	res["tiny"] = got
	if len(got) != 2 || got[0] != 17 || got[1] != 39 {
		t.Fatalf("tiny computation: got %v, want [17 39]", got)
	}
	fmt.Println("tiny computation: ok", got)

	cpu, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	ds := data.SyntheticDataset(4096, 512, 28, 28, 1, 10, 1) // the GPU machine has no data sets
	cfg := DefaultConfig()
	ref := mustParse(t, ReferenceArch)
	losses := func(b compute.Backend) ([]float64, string) {
		sg, err := New(b, ds, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var out []float64
		for i := 0; i < 5; i++ {
			r, err := sg.Train(ref, BatchBudget(1))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, r.Loss)
		}
		return out, sg.Kernels()
	}
	lc, kc := losses(cpu)
	lg, kg := losses(accel)
	maxRel := 0.0
	for i := range lc {
		maxRel = math.Max(maxRel, math.Abs(lc[i]-lg[i])/math.Abs(lc[i]))
	}
	res["losses_go"], res["kernels_go"], res["losses_accelerator"], res["kernels_accelerator"] = lc, kc, lg, kg
	res["max_relative_difference"], res["tolerance"] = maxRel, gpuLossTolerance
	fmt.Printf("losses, 5 batches, same seed: Go back-end (%s kernels) %.5f, accelerator (%s kernels) %.5f; max relative difference %.2g (tolerance %g)\n",
		kc, lc, kg, lg, maxRel, gpuLossTolerance)
	if maxRel > gpuLossTolerance {
		t.Errorf("losses differ by %.3g relative (tolerance %g): Go %v, accelerator %v", maxRel, gpuLossTolerance, lc, lg)
	}

	bench, err := BenchChild(accel, choice.Name, ds, cfg, 40)
	if err != nil {
		t.Fatal(err)
	}
	res["bench"] = bench
	fmt.Printf("training: %.0f images/s (batch %d); evaluation %.0f images/s\n", bench.TrainImagesPerS, bench.BatchSize, bench.EvalImagesPerS)

	// The cost of new architectures: the first batch of each of 8 random ones (building and
	// compiling its graph), then a second batch.
	sg, err := New(accel, ds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 7))
	var first, second []float64
	for i := 0; i < 8; i++ {
		a := arch.Random(cfg.Nodes, 0.5, r)
		t0 := time.Now()
		if _, err := sg.Train(a, BatchBudget(1)); err != nil {
			t.Fatal(err)
		}
		first = append(first, time.Since(t0).Seconds())
		t0 = time.Now()
		if _, err := sg.Train(a, BatchBudget(1)); err != nil {
			t.Fatal(err)
		}
		second = append(second, time.Since(t0).Seconds())
	}
	res["new_arch_first_batch_s"], res["new_arch_second_batch_s"] = first, second
	fmt.Printf("new architecture: first batch (with compilation) median %.2f s, second batch median %.3f s\n", median(first), median(second))
	out, _ := json.Marshal(res)
	fmt.Printf("GPUCHECK %s\n", out)
}
