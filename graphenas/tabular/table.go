// Package tabular measures search strategies on a tabular NAS benchmark: NAS-Bench-201's
// topology search space (Dong & Yang 2020, arXiv:2001.00326; NATS-Bench, Dong et al. 2021), where
// every one of the 15,625 cells has a known test accuracy, so a strategy's pick can be scored by
// its true accuracy. A query looks one cell up, optionally with Gaussian noise (as a
// weight-sharing estimate would be noisy); a strategy gets a fixed number of queries.
package tabular

import (
	"bytes"
	"compress/gzip"
	_ "embed" // the NAS-Bench-201 table ships inside the package
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/graphenas/graphenas/graphenas/ckpt"
	"github.com/graphenas/graphenas/graphenas/space"
)

// Dataset names the accuracy column of the table.
type Dataset string

// The three data sets of NAS-Bench-201.
const (
	CIFAR10    Dataset = "cifar10"
	CIFAR100   Dataset = "cifar100"
	ImageNet16 Dataset = "imagenet16"
)

var datasetColumn = map[Dataset]string{
	CIFAR10:    "CIFAR10TestAccuracy200Epochs",
	CIFAR100:   "CIFAR100TestAccuracy200Epochs",
	ImageNet16: "ImageNetTestAccuracy200Epochs",
}

// ParseDataset reads a data set name.
func ParseDataset(s string) (Dataset, error) {
	d := Dataset(s)
	if _, ok := datasetColumn[d]; !ok {
		return "", fmt.Errorf("tabular: unknown data set %q (known: cifar10, cifar100, imagenet16)", s)
	}
	return d, nil
}

// Table is the benchmark: test accuracy (%) per cell and data set.
type Table struct {
	// Arch holds the NAS-Bench-201 string of row i.
	Arch []string
	acc  map[Dataset][]float64
	row  map[string]int
}

// nb201 is the NAS-Bench-201 table shipped with GraphEnas (nb201/README.md: provenance, licence).
//
//go:embed nb201/nats-bench-tss.csv.gz
var nb201 []byte

// The facts Default checks on the shipped table (nb201/README.md).
const (
	nb201Rows          = 15625
	nb201BestCIFAR     = 94.373 // maximum CIFAR-10 test accuracy, to three decimals
	nb201BestTolerance = 5e-4
)

// Default returns the NAS-Bench-201 table that ships with GraphEnas (graphenas/tabular/nb201),
// after checking what it must hold: 15,625 cells and a best CIFAR-10 accuracy of 94.373.
func Default() (*Table, error) {
	zr, err := gzip.NewReader(bytes.NewReader(nb201))
	if err != nil {
		return nil, fmt.Errorf("tabular: the shipped NAS-Bench-201 table: %w", err)
	}
	t, err := Read(zr)
	if err != nil {
		return nil, fmt.Errorf("tabular: the shipped NAS-Bench-201 table: %w", err)
	}
	if best, _ := t.Best(CIFAR10); t.Len() != nb201Rows || math.Abs(best-nb201BestCIFAR) > nb201BestTolerance {
		return nil, fmt.Errorf("tabular: the shipped NAS-Bench-201 table has %d rows and best CIFAR-10 accuracy %.3f, want %d and %.3f",
			t.Len(), best, nb201Rows, nb201BestCIFAR)
	}
	return t, nil
}

// Load reads a NAS-Bench-201 CSV (columns CIFAR10TestAccuracy200Epochs,
// CIFAR100TestAccuracy200Epochs, ImageNetTestAccuracy200Epochs, ArchitectureString, …), gzipped
// when its name ends in .gz. An empty path is the shipped table (Default).
func Load(path string) (*Table, error) {
	if path == "" {
		return Default()
	}
	f, err := ckpt.OpenRead(path, ckpt.Follow)
	if err != nil {
		return nil, fmt.Errorf("tabular: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("tabular: %s: %w", path, err)
		}
		r = zr
	}
	t, err := Read(r)
	if err != nil {
		return nil, fmt.Errorf("tabular: %s: %w", path, err)
	}
	return t, nil
}

// Read parses the table from r. Every accuracy must be a finite percentage, in [0, 100]; an
// error names the line and the column of the first that is not.
func Read(r io.Reader) (*Table, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("reading the header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	archCol, ok := col["ArchitectureString"]
	if !ok {
		return nil, fmt.Errorf("no ArchitectureString column in %v", header)
	}
	t := &Table{acc: map[Dataset][]float64{}, row: map[string]int{}}
	for d, name := range datasetColumn {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("no %s column in %v", name, header)
		}
		t.acc[d] = nil
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		g, err := space.ParseNB201(rec[archCol])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		key := space.NB201String(g)
		if _, dup := t.row[key]; dup {
			return nil, fmt.Errorf("line %d: cell %s appears twice", line, key)
		}
		t.row[key] = len(t.Arch)
		t.Arch = append(t.Arch, key)
		for d, name := range datasetColumn {
			v, err := strconv.ParseFloat(rec[col[name]], 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: %s: %w", line, name, err)
			}
			if math.IsNaN(v) || v < 0 || v > 100 {
				return nil, fmt.Errorf("line %d: %s is %s, want a percentage in [0, 100]", line, name, rec[col[name]])
			}
			t.acc[d] = append(t.acc[d], v)
		}
	}
	if len(t.Arch) == 0 {
		return nil, fmt.Errorf("no rows")
	}
	return t, nil
}

// Len returns the number of cells.
func (t *Table) Len() int { return len(t.Arch) }

// Accuracy returns the true test accuracy of cell g on d.
func (t *Table) Accuracy(d Dataset, g *space.Graph) (float64, error) {
	i, ok := t.row[space.NB201String(g)]
	if !ok {
		return 0, fmt.Errorf("tabular: cell %s is not in the table", space.NB201String(g))
	}
	return t.acc[d][i], nil
}

// Best returns the highest accuracy on d and the cell that has it.
func (t *Table) Best(d Dataset) (float64, string) {
	best := 0
	for i, v := range t.acc[d] {
		if v > t.acc[d][best] {
			best = i
		}
	}
	return t.acc[d][best], t.Arch[best]
}
