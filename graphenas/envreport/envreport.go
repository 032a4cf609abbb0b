// Package envreport describes the environment GraphEnas runs in: the back-end it chose and why,
// the PJRT plugin, the data sets found, and the versions of Go and GoMLX. The command line's
// `graphenas env` prints it; notebooks show it in their first cell.
package envreport

import (
	"encoding/json"
	"fmt"
	"io"
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
	GopjrtVer    string    `json:"gopjrt_version"`
	CPUs         int       `json:"cpus"`
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
		GoMLXVersion: moduleVersion("github.com/gomlx/gomlx"), GopjrtVer: moduleVersion("github.com/gomlx/gopjrt")}
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
	fmt.Fprintf(&b, "versions:   %s, GoMLX %s, gopjrt %s, %d CPUs\n", r.GoVersion, r.GoMLXVersion, r.GopjrtVer, r.CPUs)
	_, err := io.WriteString(w, b.String())
	return err
}
