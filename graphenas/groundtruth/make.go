package groundtruth

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gomlx/compute"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/ckpt"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/progress"
	"github.com/graphenas/graphenas/graphenas/retrain"
)

// Manifest says what a table holds: the recipe, how its architectures were drawn, and which of
// them were trained on more than one seed.
type Manifest struct {
	Recipe Recipe `json:"recipe"`
	// Archs is the number of architectures: Sample(Archs, Recipe.Nodes, SampleSeed).
	Archs      int    `json:"archs"`
	SampleSeed uint64 `json:"sample_seed"`
	// The first Repeated architectures are trained with the seeds 1…Seeds, the others with seed 1.
	Repeated int `json:"repeated"`
	Seeds    int `json:"seeds"`
	// Dataset is the fingerprint of the data set (data.Dataset.Fingerprint).
	Dataset string `json:"dataset"`
}

// Check returns an error naming what is out of range.
func (m Manifest) Check() error {
	if err := m.Recipe.Check(); err != nil {
		return err
	}
	switch {
	case m.Archs < 1 || m.Archs > 100000:
		return fmt.Errorf("groundtruth: %d architectures, want 1..100000", m.Archs)
	case m.Repeated < 0 || m.Repeated > m.Archs:
		return fmt.Errorf("groundtruth: %d repeated architectures of %d", m.Repeated, m.Archs)
	case m.Seeds < 1 || m.Seeds > 100 || (m.Repeated > 0 && m.Seeds < 2):
		return fmt.Errorf("groundtruth: %d seeds for the repeated architectures, want 2..100", m.Seeds)
	}
	return nil
}

// Job is one architecture of a table trained with one seed.
type Job struct {
	Index int    `json:"index"`
	Seed  uint64 `json:"seed"`
}

// Name is the job's file name stem, "a0012-s1".
func (j Job) Name() string { return fmt.Sprintf("a%04d-s%d", j.Index, j.Seed) }

// Jobs lists the table's jobs: every architecture with seed 1 in order, then the repeated ones'
// other seeds. A table extended to more architectures keeps its earlier jobs' names.
func (m Manifest) Jobs() []Job {
	var out []Job
	for i := 0; i < m.Archs; i++ {
		out = append(out, Job{i, 1})
	}
	for s := 2; s <= m.Seeds; s++ {
		for i := 0; i < m.Repeated; i++ {
			out = append(out, Job{i, uint64(s)})
		}
	}
	return out
}

// Files of a table's directory.
const (
	ManifestFile = "manifest.json"
	resultsDir   = "results" // one retrain.Result per job, <name>.json
	workDir      = "work"    // the jobs under way: <name>.lock and <name>.ckpt
)

// MakeConfig is a run of Make.
type MakeConfig struct {
	// Dir holds the table being made; Manifest says what it holds. A directory made before with
	// the same recipe, sample seed and data set is extended (more architectures, more repeated
	// ones, more seeds) and its finished jobs are kept; any other difference is refused.
	Dir      string
	Manifest Manifest
	// Shard of Shards: this process takes the jobs whose position in Manifest.Jobs() is Shard
	// modulo Shards (Shards 0 or 1: all of them), so that a scheduler's job array can run the
	// shards on many machines over a shared directory. Processes that share a directory never
	// run one job twice at once (each job holds a lock while it trains).
	Shard, Shards int
	// Workers is how many jobs train at once on the one back-end (default 1; more for a GPU).
	Workers int
	// CheckpointEvery is how often a job saves its training (default 30 s): a killed Make loses
	// at most this much of each job under way.
	CheckpointEvery time.Duration
	// Progress, when set, receives one event per finished job of this shard.
	Progress progress.Func
}

// Make trains every job of cfg's shard that has no result yet, cfg.Workers at a time, and
// returns how many it trained. Each result is written (atomically) to its own file; a job
// checkpoints its training (CheckpointEvery), so a killed Make started again loses little of each
// job under way. A job another process is training is left to it.
func Make(b compute.Backend, ds *data.Dataset, cfg MakeConfig) (int, error) {
	m := cfg.Manifest
	m.Dataset = ds.Fingerprint()
	if err := m.Check(); err != nil {
		return 0, err
	}
	shards := max(cfg.Shards, 1)
	if cfg.Shard < 0 || cfg.Shard >= shards {
		return 0, fmt.Errorf("groundtruth: shard %d of %d", cfg.Shard, shards)
	}
	if err := writeManifest(cfg.Dir, m); err != nil {
		return 0, err
	}
	archs := Sample(m.Archs, m.Recipe.Nodes, m.SampleSeed)
	var todo []Job
	for k, j := range m.Jobs() {
		if k%shards == cfg.Shard && !finished(cfg.Dir, j, m.Recipe) {
			todo = append(todo, j)
		}
	}
	jobs := make(chan Job)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	var trained, done atomic.Int64
	for w := min(max(cfg.Workers, 1), max(len(todo), 1)); w > 0; w-- {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				ran, err := runJob(b, ds, cfg, j, archs[j.Index])
				if err != nil {
					mu.Lock()
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
					continue
				}
				if ran {
					trained.Add(1)
				}
				if cfg.Progress != nil {
					cfg.Progress(progress.Event{Phase: "ground truth", Done: int(done.Add(1)), Total: len(todo),
						Run: fmt.Sprintf("shard %d/%d", cfg.Shard, shards), Status: j.Name()})
				}
			}
		}()
	}
	for _, j := range todo {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			break
		}
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	return int(trained.Load()), firstErr
}

// writeManifest writes m to dir, or checks that the manifest already there describes the same
// table (growing it to m's size when m asks for more).
func writeManifest(dir string, m Manifest) error {
	for _, d := range []string{dir, filepath.Join(dir, resultsDir), filepath.Join(dir, workDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("groundtruth: %w", err)
		}
	}
	path := filepath.Join(dir, ManifestFile)
	if old, err := readManifest(path); err == nil {
		if old.Recipe != m.Recipe || old.SampleSeed != m.SampleSeed || old.Dataset != m.Dataset {
			return fmt.Errorf("groundtruth: %s holds another table (%+v), this one is %+v: use its settings or another directory", dir, old, m)
		}
		// A job's name does not depend on the table's size: a larger table keeps every job done.
		m.Archs, m.Repeated, m.Seeds = max(m.Archs, old.Archs), max(m.Repeated, old.Repeated), max(m.Seeds, old.Seeds)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := ckpt.WriteJSON(path, m); err != nil {
		return fmt.Errorf("groundtruth: %w", err)
	}
	return nil
}

// readManifest reads and checks a manifest file.
func readManifest(path string) (Manifest, error) {
	var m Manifest
	raw, err := ckpt.ReadFile(path, 1<<20, ckpt.NoFollow)
	if err != nil {
		return m, fmt.Errorf("groundtruth: %w", err)
	}
	if err := ckpt.DecodeJSON(raw, &m); err != nil {
		return m, fmt.Errorf("groundtruth: %s: %w", path, err)
	}
	if err := m.Check(); err != nil {
		return m, fmt.Errorf("groundtruth: %s: %w", path, err)
	}
	return m, nil
}

// resultPath is where job j's result goes in dir.
func resultPath(dir string, j Job) string { return filepath.Join(dir, resultsDir, j.Name()+".json") }

// finished reports whether job j has a result of recipe r in dir.
func finished(dir string, j Job, r Recipe) bool {
	res, err := retrain.ReadResult(resultPath(dir, j))
	return err == nil && r.Matches(res) && res.Seed == j.Seed
}

// runJob trains job j (architecture a) unless it is finished or another process holds it, and
// reports whether it trained.
func runJob(b compute.Backend, ds *data.Dataset, mc MakeConfig, j Job, a *arch.Arch) (bool, error) {
	dir, r := mc.Dir, mc.Manifest.Recipe
	lock, err := ckpt.TryLock(filepath.Join(dir, workDir, j.Name()+".lock"))
	if errors.Is(err, ckpt.ErrLocked) {
		return false, nil // another process trains it
	}
	if err != nil {
		return false, fmt.Errorf("groundtruth: %s: %w", j.Name(), err)
	}
	defer lock.Unlock()
	if finished(dir, j, r) { // finished by another process since the list was made
		return false, nil
	}
	cfg := r.Retrain(j.Seed)
	cfg.Checkpoint = filepath.Join(dir, workDir, j.Name()+".ckpt")
	cfg.CheckpointEvery = mc.CheckpointEvery
	if cfg.CheckpointEvery <= 0 {
		cfg.CheckpointEvery = 30 * time.Second
	}
	cfg.Out = resultPath(dir, j)
	if _, err := retrain.Run(b, ds, a, cfg); err != nil {
		return false, fmt.Errorf("groundtruth: %s (%v): %w", j.Name(), a, err)
	}
	// Done: the lock file goes too (whoever opens it from now on finds the result and skips).
	os.Remove(filepath.Join(dir, workDir, j.Name()+".lock"))
	return true, nil
}
