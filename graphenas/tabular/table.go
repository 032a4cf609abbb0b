// Package tabular measures search strategies on a tabular NAS benchmark: NAS-Bench-201's
// topology search space (Dong & Yang 2020, arXiv:2001.00326; NATS-Bench, Dong et al. 2021), where
// every one of the 15,625 cells has a known test accuracy, so a strategy's pick can be scored by
// its true accuracy. A query looks one cell up, optionally with Gaussian noise (as a
// weight-sharing estimate would be noisy); a strategy gets a fixed number of queries.
package tabular

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"

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

// Load reads the CSV of shared/benchmarks (columns CIFAR10TestAccuracy200Epochs,
// CIFAR100TestAccuracy200Epochs, ImageNetTestAccuracy200Epochs, ArchitectureString, …).
func Load(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tabular: %w", err)
	}
	defer f.Close()
	t, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("tabular: %s: %w", path, err)
	}
	return t, nil
}

// Read parses the table from r.
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
