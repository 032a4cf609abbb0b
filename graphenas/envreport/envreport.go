// Package envreport describes the environment GraphEnas runs in: the back-end it chose and why,
// the PJRT plugin, whether the Go back-end has its SIMD kernels, the data sets found, and the
// versions of Go, GoMLX, compute and go-xla. The command line's
// `graphenas env` prints it; notebooks show it in their first cell.
package envreport

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/data"
)

// Dataset says whether a data set was found and how big it is.
type Dataset struct {
	Name  string `json:"name"`
	Found bool   `json:"found"`
	Dir   string `json:"dir,omitempty"`
	Train int    `json:"train_images"`
	Test  int    `json:"test_images"`
	// Shape is the image shape, height×width×channels.
	Shape string `json:"shape,omitempty"`
	// Error says why it was not found or not readable.
	Error string `json:"error,omitempty"`
}

// Report is everything `graphenas env` prints.
type Report struct {
	backend.Choice
	Datasets     []Dataset `json:"datasets"`
	GoVersion    string    `json:"go_version"`
	GoMLXVersion string    `json:"gomlx_version"`
	// ComputeVersion is github.com/gomlx/compute's, which holds the Go back-end.
	ComputeVersion string `json:"compute_version"`
	// GoXLAVersion is github.com/gomlx/go-xla's (PJRT), the successor of gopjrt.
	GoXLAVersion string `json:"go_xla_version"`
	// SIMD says whether the Go back-end's matrix products have their SIMD kernels in this binary.
	SIMD backend.SIMDReport `json:"simd"`
	// AutoInstall says whether go-xla may download PJRT plugins, and how to allow it.
	AutoInstall string `json:"pjrt_auto_install"`
	CPUs        int    `json:"cpus"`
}

// Collect builds the report. With start true it also starts the chosen back-end, so that a
// plugin that fails to load shows up (and the fallback with it).
func Collect(start bool) Report {
	choice := backend.Choose()
	if start {
		if b, c, err := backend.New(); err != nil {
			choice = c
			choice.Warning = err.Error()
		} else {
			choice = c
			b.Finalize()
		}
	}
	r := Report{Choice: choice, GoVersion: runtime.Version(), CPUs: runtime.NumCPU(),
		GoMLXVersion:   moduleVersion("github.com/gomlx/gomlx"),
		ComputeVersion: moduleVersion("github.com/gomlx/compute"),
		GoXLAVersion:   moduleVersion("github.com/gomlx/go-xla"),
		SIMD:           backend.SIMD(),
		AutoInstall:    autoInstall()}
	for _, name := range []string{data.FashionMNIST, data.CIFAR10} {
		d := Dataset{Name: name}
		ds, err := data.Load(name, "")
		if err != nil {
			d.Error = err.Error()
		} else {
			d.Found, d.Dir, d.Train, d.Test = true, ds.Dir, ds.Train.N, ds.Test.N
			d.Shape = fmt.Sprintf("%d×%d×%d", ds.Train.Height, ds.Train.Width, ds.Train.Channels)
		}
		r.Datasets = append(r.Datasets, d)
	}
	return r
}

// autoInstall says whether go-xla may download PJRT plugins in this process.
func autoInstall() string {
	if os.Getenv(backend.EnvAutoInstall) == "1" {
		return "on ($" + backend.EnvAutoInstall + "=1): go-xla may download PJRT plugins into ~/.local/lib/go-xla"
	}
	return "off: nothing is downloaded; set " + backend.EnvAutoInstall + "=1 to let go-xla install the PJRT plugins it knows"
}

// moduleVersion returns the version of a module linked into the binary, or "unknown".
func moduleVersion(path string) string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == path {
				return m.Version
			}
		}
	}
	return "unknown"
}

// WriteJSON writes the report as one indented JSON object.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for people.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "back-end:   %s (GoMLX config %q)\n", r.Name, r.Config)
	fmt.Fprintf(&b, "  why:      %s\n", r.Reason)
	if r.Plugin != "" {
		fmt.Fprintf(&b, "  plugin:   %s\n", r.Plugin)
	}
	if len(r.LibraryDirs) > 0 {
		fmt.Fprintf(&b, "  CUDA libraries (put them on LD_LIBRARY_PATH): %s\n", strings.Join(r.LibraryDirs, ":"))
	}
	if r.Warning != "" {
		fmt.Fprintf(&b, "  warning:  %s\n", r.Warning)
	}
	fmt.Fprintf(&b, "  searched: %s\n", strings.Join(r.Searched, ", "))
	fmt.Fprintf(&b, "data sets:\n")
	for _, d := range r.Datasets {
		if d.Found {
			fmt.Fprintf(&b, "  %-14s %d training + %d test images of %s in %s\n", d.Name, d.Train, d.Test, d.Shape, d.Dir)
		} else {
			fmt.Fprintf(&b, "  %-14s not available: %s\n", d.Name, d.Error)
		}
	}
	if r.SIMD.Built {
		fmt.Fprintf(&b, "SIMD:       Go back-end matmul kernels built (%s on this CPU)\n", r.SIMD.Kernel)
	} else {
		fmt.Fprintf(&b, "SIMD:       WARNING: not built; %s\n", r.SIMD.Fix)
	}
	fmt.Fprintf(&b, "PJRT auto-install: %s\n", r.AutoInstall)
	fmt.Fprintf(&b, "versions:   %s, GoMLX %s, compute %s, go-xla %s, %d CPUs\n", r.GoVersion, r.GoMLXVersion, r.ComputeVersion, r.GoXLAVersion, r.CPUs)
	_, err := io.WriteString(w, b.String())
	return err
}
