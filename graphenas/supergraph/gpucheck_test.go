package supergraph

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/data"
)

// TestGPUCheck is docker/gpu-check.sh's test (GRAPHENAS_GPU_CHECK=1): on the accelerator the
// back-end choice found, the child network's losses on the same seed and batches match simplego's,
// and it reports training throughput and the cost of a new architecture. It prints one line
// starting with GPUCHECK holding the measurements as JSON.
func TestGPUCheck(t *testing.T) {
	if os.Getenv("GRAPHENAS_GPU_CHECK") != "1" {
		t.Skip("run by docker/gpu-check.sh (GRAPHENAS_GPU_CHECK=1)")
	}
	accel, choice, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("back-end %s: %s (plugin %s) %s", choice.Name, choice.Reason, choice.Plugin, choice.Warning)
	if choice.Name != backend.XLA {
		t.Fatalf("no accelerator back-end: %s %s", choice.Reason, choice.Warning)
	}
	cpu, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	ds := data.SyntheticDataset(4096, 512, 28, 28, 1, 10, 1) // the GPU machine has no data sets
	cfg := DefaultConfig()
	ref := mustParse(t, ReferenceArch)
	losses := func(sg *Supergraph) []float64 {
		var out []float64
		for i := 0; i < 5; i++ {
			r, err := sg.Train(ref, BatchBudget(1))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, r.Loss)
		}
		return out
	}
	sgCPU, err := New(cpu, ds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sgGPU, err := New(accel, ds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	lc, lg := losses(sgCPU), losses(sgGPU)
	maxRel := 0.0
	for i := range lc {
		maxRel = math.Max(maxRel, math.Abs(lc[i]-lg[i])/math.Abs(lc[i]))
	}
	res := map[string]any{"backend": choice.Config, "plugin": choice.Plugin, "losses_simplego": lc, "losses_accelerator": lg,
		"max_relative_difference": maxRel}
	if maxRel > 1e-2 { // TF32 matrix products on the GPU keep about three decimal digits
		t.Errorf("losses differ: simplego %v, accelerator %v", lc, lg)
	}
	bench, err := BenchChild(accel, choice.Name, ds, cfg, 40)
	if err != nil {
		t.Fatal(err)
	}
	res["bench"] = bench
	// The cost of new architectures: the first batch of each of 8 random ones, then a second.
	r := rand.New(rand.NewPCG(7, 7))
	var first, second []float64
	for i := 0; i < 8; i++ {
		a := arch.Random(cfg.Nodes, 0.5, r)
		t0 := time.Now()
		if _, err := sgGPU.Train(a, BatchBudget(1)); err != nil {
			t.Fatal(err)
		}
		first = append(first, time.Since(t0).Seconds())
		t0 = time.Now()
		if _, err := sgGPU.Train(a, BatchBudget(1)); err != nil {
			t.Fatal(err)
		}
		second = append(second, time.Since(t0).Seconds())
	}
	res["new_arch_first_batch_s"], res["new_arch_second_batch_s"] = first, second
	out, _ := json.Marshal(res)
	fmt.Printf("GPUCHECK %s\n", out)
}
