package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/graphenas/graphenas/graphenas/data"
)

// TestEnvJSON runs the real command: `graphenas env --json` on a machine without a plugin names
// the Go back-end, says whether it has its SIMD kernels, and lists the data sets with their sizes.
func TestEnvJSON(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "graphenas")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dataDir := t.TempDir()
	set := data.Synthetic("s", 30, 28, 28, 1, 10, 1)
	if err := data.WriteIDX(dataDir, "train", set, true); err != nil {
		t.Fatal(err)
	}
	if err := data.WriteIDX(dataDir, "t10k", set, true); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "env", "--json")
	cmd.Env = append(os.Environ(), "GOMLX_BACKEND=", "PJRT_PLUGIN_LIBRARY_PATH="+t.TempDir(),
		"HOME="+t.TempDir(), "VIRTUAL_ENV=", data.EnvDataDir+"="+dataDir)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("graphenas env --json: %v", err)
	}
	var r struct {
		Backend string `json:"backend"`
		Reason  string `json:"backend_reason"`
		Plugin  string `json:"plugin"`
		SIMD    *struct {
			Built  bool   `json:"built"`
			Kernel string `json:"kernel"`
			Fix    string `json:"fix"`
		} `json:"simd"`
		Datasets []struct {
			Name        string `json:"name"`
			Found       bool   `json:"found"`
			Dir         string `json:"dir"`
			Train, Test int    `json:"-"`
			TrainImages int    `json:"train_images"`
			TestImages  int    `json:"test_images"`
		} `json:"datasets"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	if r.Backend != "go" || r.Plugin != "" || r.Reason == "" {
		t.Errorf("backend %q plugin %q reason %q", r.Backend, r.Plugin, r.Reason)
	}
	// The binary was built with this test's environment: GOEXPERIMENT=simd must reach it.
	switch {
	case r.SIMD == nil:
		t.Error("no \"simd\" key")
	case strings.Contains(os.Getenv("GOEXPERIMENT"), "simd") && runtime.GOARCH == "amd64" && !r.SIMD.Built:
		t.Errorf("built with GOEXPERIMENT=simd but reports %+v", *r.SIMD)
	case !r.SIMD.Built && !strings.Contains(r.SIMD.Fix, "GOEXPERIMENT=simd"):
		t.Errorf("no SIMD kernels and no fix given: %+v", *r.SIMD)
	}
	if len(r.Datasets) != 2 || r.Datasets[0].Name != "fashion-mnist" || !r.Datasets[0].Found ||
		r.Datasets[0].Dir != dataDir || r.Datasets[0].TrainImages != 30 || r.Datasets[0].TestImages != 30 {
		t.Errorf("datasets %+v", r.Datasets)
	}
	if r.Datasets[1].Found {
		t.Errorf("cifar10 found in an empty place: %+v", r.Datasets[1])
	}
}

// TestEnvRealFashionMNIST checks the installed Debian package, when present: 60000 + 10000 images.
func TestEnvRealFashionMNIST(t *testing.T) {
	if _, err := os.Stat("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"); err != nil {
		t.Skip("dataset-fashion-mnist is not installed")
	}
	t.Setenv(data.EnvDataDir, "")
	ds, err := data.Load(data.FashionMNIST, "")
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.N != 60000 || ds.Test.N != 10000 || ds.Train.Height != 28 {
		t.Fatalf("train %d test %d", ds.Train.N, ds.Test.N)
	}
}
