package main

import (
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

// runBench dispatches the benchmarks: "bench child".
func runBench(args []string) error {
	if len(args) == 0 || args[0] != "child" {
		return fmt.Errorf(`bench: want "bench child [flags]"`)
	}
	return runBenchChild(args[1:])
}

// childReport is what `graphenas bench child --json` prints.
type childReport struct {
	supergraph.ChildBench
	BackendReason string                 `json:"backend_reason"`
	Ops           []supergraph.OpBench   `json:"ops,omitempty"`
	Torch         map[string]any         `json:"torch,omitempty"`
	TorchError    string                 `json:"torch_error,omitempty"`
	TrainRatio    float64                `json:"train_ratio_vs_torch,omitempty"`
	EvalRatio     float64                `json:"eval_ratio_vs_torch,omitempty"`
	Machine       map[string]interface{} `json:"machine"`
}

// runBenchChild measures the child network, and the same network in PyTorch in the same run.
func runBenchChild(args []string) error {
	fs := flag.NewFlagSet("bench child", flag.ContinueOnError)
	seconds := fs.Float64("seconds", 30, "seconds to spend on the GoMLX measurement (PyTorch gets the same)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	dataDir := fs.String("data", "", "Fashion-MNIST folder (default: the standard places)")
	ops := fs.Bool("ops", true, "also time each op alone on a [64, 28, 28, 20] activation")
	torch := fs.Bool("torch", true, "also run the PyTorch baseline (graphenas/cmd/graphenas/child_torch.py, built in, with /usr/bin/python3)")
	seed := fs.Uint64("seed", 1, "random seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *seconds <= 0 {
		return fmt.Errorf("bench child: --seconds must be positive")
	}
	ds, err := data.LoadFashionMNIST(*dataDir)
	if err != nil {
		return err
	}
	b, choice, err := backend.New()
	if err != nil {
		return err
	}
	defer b.Finalize()
	cfg := supergraph.DefaultConfig()
	cfg.Seed = *seed
	// The PyTorch twin (child_torch.py) and every figure in BENCHMARKS.md are the full-resolution
	// network: the benchmark keeps measuring it.
	cfg.StemStride = 1
	fmt.Fprintf(os.Stderr, "bench child: %s back-end, %.0f s on %s ...\n", choice.Name, *seconds, supergraph.ReferenceArch)
	res, err := supergraph.BenchChild(b, choice.Name, ds, cfg, *seconds)
	if err != nil {
		return err
	}
	rep := childReport{ChildBench: res, BackendReason: choice.Reason,
		Machine: map[string]interface{}{"cpus": runtime.NumCPU(), "go": runtime.Version(), "date": time.Now().UTC().Format(time.RFC3339)}}
	if *ops {
		fmt.Fprintln(os.Stderr, "bench child: timing each op ...")
		if rep.Ops, err = supergraph.BenchOps(b, res.Kernels, cfg.BatchSize, 28, 28, cfg.Channels, 5); err != nil {
			return err
		}
	}
	if *torch {
		fmt.Fprintln(os.Stderr, "bench child: PyTorch baseline ...")
		rep.Torch, err = runTorch(*seconds, ds.Dir)
		if err != nil {
			rep.TorchError = err.Error()
		} else {
			if v, ok := rep.Torch["train_images_per_s"].(float64); ok && v > 0 {
				rep.TrainRatio = res.TrainImagesPerS / v
			}
			if v, ok := rep.Torch["eval_images_per_s"].(float64); ok && v > 0 {
				rep.EvalRatio = res.EvalImagesPerS / v
			}
		}
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printChildReport(rep)
	return nil
}

// childTorchScript is the PyTorch twin of the child network, built into the binary so that
// "bench child" runs from any directory.
//
//go:embed child_torch.py
var childTorchScript []byte

// runTorch runs the PyTorch baseline script and decodes its JSON line.
func runTorch(seconds float64, dataDir string) (map[string]any, error) {
	f, err := os.CreateTemp("", "graphenas-child-torch-*.py")
	if err != nil {
		return nil, fmt.Errorf("PyTorch baseline: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(childTorchScript); err != nil {
		f.Close()
		return nil, fmt.Errorf("PyTorch baseline: writing %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("PyTorch baseline: writing %s: %w", f.Name(), err)
	}
	cmd := exec.Command("/usr/bin/python3", f.Name(), "--seconds", fmt.Sprint(seconds), "--threads", fmt.Sprint(runtime.NumCPU()), "--data", dataDir)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("PyTorch baseline (graphenas/cmd/graphenas/child_torch.py): %w; install it with GRAPHENAS_SETUP_TORCH=1 bash docker/setup.sh", err)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("PyTorch baseline printed no JSON: %w", err)
	}
	return m, nil
}

func printChildReport(r childReport) {
	var b strings.Builder
	fmt.Fprintf(&b, "child network %s, batch %d, back-end %s\n", r.Arch, r.BatchSize, r.Backend)
	fmt.Fprintf(&b, "  train      %8.1f images/s (%d batches, %.0f ms per batch)\n", r.TrainImagesPerS, r.TrainBatches, r.SteadyBatchMs)
	fmt.Fprintf(&b, "  evaluate   %8.1f images/s\n", r.EvalImagesPerS)
	fmt.Fprintf(&b, "  switch to a new architecture: %.1f ms; to a cached one: %.4f ms\n", r.SwitchNewMs, r.SwitchCachedMs)
	if r.Torch != nil {
		fmt.Fprintf(&b, "  PyTorch %v: train %.1f images/s, evaluate %.1f images/s → ratio %.3f (train), %.3f (evaluate)\n",
			r.Torch["torch"], r.Torch["train_images_per_s"], r.Torch["eval_images_per_s"], r.TrainRatio, r.EvalRatio)
	} else if r.TorchError != "" {
		fmt.Fprintf(&b, "  PyTorch baseline not run: %s\n", r.TorchError)
	}
	if len(r.Ops) > 0 {
		torchOps := map[string][2]float64{}
		if list, ok := r.Torch["ops"].([]any); ok {
			for _, o := range list {
				if m, ok := o.(map[string]any); ok {
					torchOps[fmt.Sprint(m["op"])] = [2]float64{toFloat(m["forward_ms"]), toFloat(m["forward_backward_ms"])}
				}
			}
		}
		fmt.Fprintf(&b, "  per op on [%d, 28, 28, 20], ms   GoMLX fwd / fwd+bwd   PyTorch fwd / fwd+bwd\n", r.BatchSize)
		for _, o := range r.Ops {
			t := torchOps[o.Op]
			fmt.Fprintf(&b, "    %-12s %10.1f / %-8.1f %12.1f / %.1f\n", o.Op, o.ForwardMs, o.BackwardMs, t[0], t[1])
		}
	}
	fmt.Print(b.String())
}

func toFloat(v any) float64 {
	f, _ := v.(float64)
	return f
}
