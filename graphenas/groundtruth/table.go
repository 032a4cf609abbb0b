package groundtruth

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/ckpt"
	"github.com/graphenas/graphenas/graphenas/retrain"
	"github.com/graphenas/graphenas/graphenas/stats"
)

// Entry is one architecture trained alone with one seed.
type Entry struct {
	// Index is the architecture's position in the table's Sample.
	Index int
	Arch  *arch.Arch
	Seed  uint64
	// TestAccuracy and TestLoss on the whole test set (the loss NaN when the training diverged).
	TestAccuracy, TestLoss float64
	// Params is the architecture's trainable weight count; Seconds the training and test time.
	Params  int
	Seconds float64
}

// Table is a ground-truth table: its manifest and one entry per finished job, in job order.
type Table struct {
	Manifest Manifest
	Entries  []Entry
}

// Collect reads the table being made in dir: its manifest and every finished job's result (jobs
// not finished yet are left out). A result of another recipe, architecture or seed than its
// name says is an error.
func Collect(dir string) (*Table, error) {
	m, err := readManifest(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, err
	}
	archs := Sample(m.Archs, m.Recipe.Nodes, m.SampleSeed)
	t := &Table{Manifest: m}
	for _, j := range m.Jobs() {
		res, err := retrain.ReadResult(resultPath(dir, j))
		if err != nil {
			continue // not finished
		}
		if !m.Recipe.Matches(res) || res.Seed != j.Seed || res.Arch != archs[j.Index].String() {
			return nil, fmt.Errorf("groundtruth: %s holds %s with seed %d (%g epochs, %d channels), not job %s's %v",
				resultPath(dir, j), res.Arch, res.Seed, res.Epochs, res.Channels, j.Name(), archs[j.Index])
		}
		t.Entries = append(t.Entries, Entry{Index: j.Index, Arch: archs[j.Index], Seed: j.Seed,
			TestAccuracy: res.TestAccuracy, TestLoss: res.TestLoss, Params: res.Params, Seconds: res.Seconds})
	}
	return t, nil
}

// csvHeader is the header of a table's CSV file.
var csvHeader = []string{"index", "arch", "seed", "test_accuracy", "test_loss", "params", "seconds"}

// WriteCSV writes the entries as CSV (test_loss empty when it is not finite).
func (t *Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	for _, e := range t.Entries {
		loss := ""
		if !math.IsNaN(e.TestLoss) && !math.IsInf(e.TestLoss, 0) {
			loss = strconv.FormatFloat(e.TestLoss, 'f', 6, 64)
		}
		cw.Write([]string{strconv.Itoa(e.Index), e.Arch.String(), strconv.FormatUint(e.Seed, 10),
			strconv.FormatFloat(e.TestAccuracy, 'f', 4, 64), loss, strconv.Itoa(e.Params), strconv.FormatFloat(e.Seconds, 'f', 1, 64)})
	}
	cw.Flush()
	return cw.Error()
}

// ReadTable reads a table from its manifest (JSON) and entries (CSV, as WriteCSV writes them) and
// checks its facts (Check).
func ReadTable(manifest, entries []byte) (*Table, error) {
	var m Manifest
	if err := ckpt.DecodeJSON(manifest, &m); err != nil {
		return nil, fmt.Errorf("groundtruth: manifest: %w", err)
	}
	if err := m.Check(); err != nil {
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(entries))
	cr.FieldsPerRecord = len(csvHeader)
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("groundtruth: table: %w", err)
	}
	if len(rows) == 0 || fmt.Sprint(rows[0]) != fmt.Sprint(csvHeader) {
		return nil, fmt.Errorf("groundtruth: table: want the header %v", csvHeader)
	}
	t := &Table{Manifest: m}
	for n, row := range rows[1:] {
		e, err := parseRow(row)
		if err != nil {
			return nil, fmt.Errorf("groundtruth: table line %d: %w", n+2, err)
		}
		t.Entries = append(t.Entries, e)
	}
	return t, t.Check()
}

// parseRow reads one CSV row.
func parseRow(row []string) (Entry, error) {
	var e Entry
	var err error
	if e.Index, err = strconv.Atoi(row[0]); err != nil {
		return e, err
	}
	if e.Arch, err = arch.Parse(row[1]); err != nil {
		return e, err
	}
	if e.Seed, err = strconv.ParseUint(row[2], 10, 64); err != nil {
		return e, err
	}
	if e.TestAccuracy, err = strconv.ParseFloat(row[3], 64); err != nil {
		return e, err
	}
	e.TestLoss = math.NaN()
	if row[4] != "" {
		if e.TestLoss, err = strconv.ParseFloat(row[4], 64); err != nil {
			return e, err
		}
	}
	if e.Params, err = strconv.Atoi(row[5]); err != nil {
		return e, err
	}
	e.Seconds, err = strconv.ParseFloat(row[6], 64)
	return e, err
}

// Check returns an error unless the table is what its manifest says: each entry one of its jobs,
// at most once, whose architecture is the one Sample draws at its index (so the table is the
// uniform draw it claims to be), connected, with an accuracy in [0, 1], a finite loss unless the
// accuracy is at chance or below, and a positive parameter count.
func (t *Table) Check() error {
	m := t.Manifest
	archs := Sample(m.Archs, m.Recipe.Nodes, m.SampleSeed)
	jobs := map[Job]bool{}
	for _, j := range m.Jobs() {
		jobs[j] = true
	}
	seen := map[Job]bool{}
	for _, e := range t.Entries {
		j := Job{e.Index, e.Seed}
		switch {
		case !jobs[j]:
			return fmt.Errorf("groundtruth: entry %s is not a job of this table", j.Name())
		case seen[j]:
			return fmt.Errorf("groundtruth: entry %s appears twice", j.Name())
		case !e.Arch.Equal(archs[e.Index]):
			return fmt.Errorf("groundtruth: entry %s is %v, but the table's draw has %v there", j.Name(), e.Arch, archs[e.Index])
		case !(e.TestAccuracy >= 0 && e.TestAccuracy <= 1):
			return fmt.Errorf("groundtruth: entry %s: accuracy %g", j.Name(), e.TestAccuracy)
		case e.Params <= 0 || !(e.Seconds >= 0):
			return fmt.Errorf("groundtruth: entry %s: %d parameters, %g seconds", j.Name(), e.Params, e.Seconds)
		}
		seen[j] = true
	}
	return nil
}

// Truth is one architecture's worth in a table: its accuracy with each seed it was trained with
// and their mean.
type Truth struct {
	Index      int
	Arch       *arch.Arch
	Accuracies []float64
	Mean       float64
	Params     int
}

// Truths returns one Truth per architecture of the table that has at least one entry, by index.
func (t *Table) Truths() []Truth {
	by := map[int]*Truth{}
	for _, e := range t.Entries {
		tr := by[e.Index]
		if tr == nil {
			tr = &Truth{Index: e.Index, Arch: e.Arch, Params: e.Params}
			by[e.Index] = tr
		}
		tr.Accuracies = append(tr.Accuracies, e.TestAccuracy)
	}
	out := make([]Truth, 0, len(by))
	for _, tr := range by {
		tr.Mean, _ = stats.MeanStd(tr.Accuracies)
		out = append(out, *tr)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

// Summary describes a table's distribution and its noise.
type Summary struct {
	// Archs with at least one entry, and Repeated: those with two seeds or more.
	Archs, Repeated int
	// Min, Median and Max of the architectures' mean accuracies.
	Min, Median, Max float64
	// SeedStd is the seed-to-seed standard deviation of one architecture's accuracy, pooled over
	// the repeated architectures (the square root of their mean variance).
	SeedStd float64
	// NearBest counts the architectures whose mean accuracy is within 2·SeedStd of the best's.
	NearBest int
	// SecondsMean is the mean time of one entry (training and test).
	SecondsMean float64
}

// Summarize returns the table's Summary.
func (t *Table) Summarize() Summary {
	truths := t.Truths()
	var s Summary
	s.Archs = len(truths)
	if s.Archs == 0 {
		return s
	}
	means := make([]float64, len(truths))
	var varSum float64
	for i, tr := range truths {
		means[i] = tr.Mean
		if len(tr.Accuracies) > 1 {
			_, sd := stats.MeanStd(tr.Accuracies)
			varSum += sd * sd
			s.Repeated++
		}
	}
	if s.Repeated > 0 {
		s.SeedStd = math.Sqrt(varSum / float64(s.Repeated))
	}
	sort.Float64s(means)
	s.Min, s.Max = means[0], means[len(means)-1]
	s.Median = means[len(means)/2]
	if len(means)%2 == 0 {
		s.Median = (means[len(means)/2-1] + means[len(means)/2]) / 2
	}
	for _, v := range means {
		if s.Max-v <= 2*s.SeedStd {
			s.NearBest++
		}
	}
	var secs []float64
	for _, e := range t.Entries {
		secs = append(secs, e.Seconds)
	}
	s.SecondsMean, _ = stats.MeanStd(secs)
	return s
}

// The table shipped with the package (README.md beside them says how it was made).
var (
	//go:embed manifest.json
	shippedManifest []byte
	//go:embed table.csv
	shippedTable []byte
)

// Load returns the table shipped with the package, its facts checked (Check) and its size
// checked against what README.md states.
func Load() (*Table, error) {
	return ReadTable(shippedManifest, shippedTable)
}

// Head returns the table of its first k architectures (by index, all their seeds): a smaller
// yardstick for a quick look, such as the quickstart's.
func (t *Table) Head(k int) *Table {
	h := &Table{Manifest: t.Manifest}
	h.Manifest.Archs, h.Manifest.Repeated = min(k, t.Manifest.Archs), min(k, t.Manifest.Repeated)
	for _, e := range t.Entries {
		if e.Index < k {
			h.Entries = append(h.Entries, e)
		}
	}
	return h
}

// Percentile returns the share of the table's architectures (by their mean accuracy over seeds)
// whose accuracy is below acc, in percent: 50 is a typical architecture of the space, 100 better
// than every one in the table.
func (t *Table) Percentile(acc float64) float64 {
	truths := t.Truths()
	if len(truths) == 0 {
		return math.NaN()
	}
	below := 0.0
	for _, tr := range truths {
		switch {
		case tr.Mean < acc:
			below++
		case tr.Mean == acc:
			below += 0.5
		}
	}
	return 100 * below / float64(len(truths))
}
