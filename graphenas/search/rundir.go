package search

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/ckpt"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/progress"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

// A run directory is how a search survives its process: every step appends one line to
// steps.jsonl (flushed to disk), and checkpoint.bin holds the whole state as of some number of
// those lines. A run has a checkpoint from the moment Create returns (step 0), so a kill at any
// moment leaves a directory that Resume continues; the steps logged after the checkpoint are
// dropped from the log and done again, identically with a batch budget. One process at a time
// uses a run directory (an OS lock, LockFile).

// Files of a run directory.
const (
	StepsFile          = "steps.jsonl"         // one StepRecord per line
	CheckpointFile     = "checkpoint.bin"      // the latest checkpoint
	PrevCheckpointFile = "checkpoint.prev.bin" // the one before it
	ConfigFile         = "config.json"         // the configuration of the latest checkpoint, for people and tools
	BestFile           = "best-arch.json"      // Best(1) at the latest checkpoint
)

// runDir is the open log of a search with a directory.
type runDir struct {
	dir          string
	lock         *ckpt.Lock
	log          *os.File
	logBytes     int64     // bytes of steps.jsonl written so far
	logHash      hash.Hash // SHA-256 of those bytes
	checkpointed int       // steps in the latest checkpoint
}

// appendRecord writes one line to steps.jsonl and flushes it to disk.
func (r *runDir) appendRecord(rec StepRecord) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("search: step %d: %w", rec.Step, err)
	}
	line = append(line, '\n')
	if _, err := r.log.Write(line); err != nil {
		return fmt.Errorf("search: writing %s: %w", r.log.Name(), err)
	}
	if err := r.log.Sync(); err != nil {
		return fmt.Errorf("search: writing %s: %w", r.log.Name(), err)
	}
	r.logBytes += int64(len(line))
	r.logHash.Write(line)
	return nil
}

// close releases the log and the lock.
func (r *runDir) close() error {
	return errors.Join(r.log.Close(), r.lock.Unlock())
}

// openRunDir locks dir (creating it) and removes the temporary files a killed write left.
func openRunDir(dir string) (*ckpt.Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*.tmp*"))
	for _, f := range leftovers {
		os.Remove(f)
	}
	return lock, nil
}

// holdsSearch reports whether dir has a checkpoint (or its predecessor).
func holdsSearch(dir string) bool {
	for _, name := range []string{CheckpointFile, PrevCheckpointFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

// Create starts a search whose log and checkpoints go to dir (created if needed) and writes its
// first checkpoint before returning, so that the run can be resumed from any moment on. It
// refuses a directory that already holds a search: continue that one with Resume.
func Create(b compute.Backend, ds *data.Dataset, cfg Config, dir string, opts ...Option) (*Search, error) {
	if holdsSearch(dir) {
		return nil, fmt.Errorf("search: %s already holds a search (%s): resume it, or choose another directory", dir, CheckpointFile)
	}
	if _, err := os.Stat(filepath.Join(dir, StepsFile)); err == nil {
		return nil, fmt.Errorf("search: %s has a %s but no checkpoint (written by an older GraphEnas): remove it or choose another directory", dir, StepsFile)
	}
	s, err := newSearch(b, ds, cfg) // the configuration is checked before anything is written
	if err != nil {
		return nil, err
	}
	o := collect(opts)
	if o.warmupFrom != "" {
		if err := s.adoptWarmup(o.warmupFrom); err != nil {
			return nil, err
		}
	}
	lock, err := openRunDir(dir)
	if err != nil {
		return nil, err
	}
	s.run = &runDir{dir: dir, lock: lock, logHash: sha256.New(), checkpointed: -1}
	s.checkpointHook = o.checkpointHook
	fail := func(err error) (*Search, error) {
		s.run.lock.Unlock()
		s.run = nil
		return nil, err
	}
	// The checkpoint first, then the log: a kill in between leaves a run that resumes.
	if err := s.writeCheckpoint(); err != nil {
		return fail(err)
	}
	f, err := ckpt.OpenWrite(filepath.Join(dir, StepsFile), os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, ckpt.NoFollow)
	if err != nil {
		return fail(fmt.Errorf("search: %w", err))
	}
	s.run.log = f
	s.afterStep = s.persistSteps
	return s, nil
}

// Close writes a checkpoint if steps were done since the last one, closes the log and releases
// the directory; the search can still step but no longer logs. Open resumes it. After a failed
// step or checkpoint nothing is written: the directory keeps its last good checkpoint.
func (s *Search) Close() error {
	if s.run == nil {
		return nil
	}
	var err error
	if s.failed == nil && s.run.checkpointed != len(s.history) {
		err = s.Checkpoint()
	}
	err = errors.Join(err, s.run.close())
	s.run, s.afterStep = nil, nil
	return err
}

// Open continues the search in dir if it holds one (Resume), and otherwise creates it there
// (Create). A notebook cell runs as a fresh program, so each cell opens the search, steps, and
// closes it. The configuration of a resumed search is the saved one; Open refuses to resume a
// search whose strategy or seed differ from cfg's.
func Open(b compute.Backend, ds *data.Dataset, cfg Config, dir string, opts ...Option) (*Search, error) {
	if !holdsSearch(dir) {
		return Create(b, ds, cfg, dir, opts...)
	}
	s, err := Resume(b, ds, dir, opts...)
	if err != nil {
		return nil, err
	}
	want, _ := cfg.withDefaults()
	if s.cfg.Strategy != want.Strategy || s.cfg.Seed != want.Seed {
		s.Close()
		return nil, fmt.Errorf("search: %s holds a %s search with seed %d, not %s with seed %d: choose another directory", dir, s.cfg.Strategy, s.cfg.Seed, want.Strategy, want.Seed)
	}
	return s, nil
}

// Checkpoint writes the whole state to the run directory: the new file is written and synced
// under a temporary name, the current checkpoint becomes checkpoint.prev.bin (through a hard link,
// so checkpoint.bin never disappears), the new one is renamed over it, and the directory is
// synced; then config.json and best-arch.json follow. It refuses a state that is not finite
// (weights, optimiser state, batch-norm statistics, losses), keeping the last good checkpoint.
func (s *Search) Checkpoint() error {
	if s.run == nil {
		return fmt.Errorf("search: no run directory to checkpoint to")
	}
	if err := s.writeCheckpoint(); err != nil {
		s.failed = err
		return err
	}
	return nil
}

func (s *Search) writeCheckpoint() error {
	st := checkpointState{Version: checkpointVersion, Config: s.cfg, Dataset: s.sg.Dataset().Fingerprint(),
		Steps: len(s.history), LogBytes: s.run.logBytes, LogSHA256: hex.EncodeToString(s.run.logHash.Sum(nil)),
		Pending: s.pending, WarmupDone: s.warmupDone}
	var err error
	if st.Supergraph, err = s.sg.State(); err != nil {
		return fmt.Errorf("search: checkpoint after step %d not written, the last good one is kept: %w", len(s.history), err)
	}
	file, err := encodeCheckpoint(&st)
	if err != nil {
		return fmt.Errorf("search: checkpoint after step %d not written, the last good one is kept: %w", len(s.history), err)
	}
	dir := s.run.dir
	path := filepath.Join(dir, CheckpointFile)
	tmp, err := ckpt.WriteTemp(path, file)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	hook := func(phase string) {
		if s.checkpointHook != nil {
			s.checkpointHook(phase)
		}
	}
	hook("written")
	if _, err := os.Stat(path); err == nil {
		prevTmp := filepath.Join(dir, "."+PrevCheckpointFile+".tmplink")
		os.Remove(prevTmp)
		if err := os.Link(path, prevTmp); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("search: checkpoint: %w", err)
		}
		if err := os.Rename(prevTmp, filepath.Join(dir, PrevCheckpointFile)); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("search: checkpoint: %w", err)
		}
		hook("previous kept")
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("search: checkpoint: %w", err)
	}
	if err := ckpt.SyncDir(dir); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	hook("renamed")
	s.run.checkpointed = len(s.history)
	if err := writeJSON(filepath.Join(dir, ConfigFile), s.cfg); err != nil {
		return err
	}
	return s.WriteBest(filepath.Join(dir, BestFile))
}

// SavedConfig returns the configuration of the search in dir, from its latest checkpoint, and
// checks that config.json says the same: config.json is written from each checkpoint for people
// to read, and an edited one would describe a run that is not the one being resumed.
func SavedConfig(dir string) (Config, error) {
	st, _, err := latestCheckpoint(dir)
	if err != nil {
		return Config{}, err
	}
	raw, err := ckpt.ReadFile(filepath.Join(dir, ConfigFile), 1<<20, ckpt.NoFollow)
	if errors.Is(err, fs.ErrNotExist) {
		return st.Config, nil // written right after the first checkpoint: a kill in between
	}
	if err != nil {
		return Config{}, fmt.Errorf("search: %w", err)
	}
	var shown Config
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&shown); err != nil {
		return Config{}, fmt.Errorf("search: %s is not a configuration (%v); it is written from the checkpoint, delete it to have it rewritten", filepath.Join(dir, ConfigFile), err)
	}
	if diff := configDiff(st.Config, shown); len(diff) > 0 {
		return Config{}, fmt.Errorf("search: %s was edited (%s): a resumed run takes its settings from its checkpoint; change the ones that may change (%s) with flags, or delete config.json",
			filepath.Join(dir, ConfigFile), changesText(diff), strings.Join(ResumableFields, ", "))
	}
	return st.Config, nil
}

// checkpointPath returns the checkpoint to resume from: checkpoint.bin, or the previous one when
// a crash left only that.
func checkpointPath(dir string) (string, error) {
	path := filepath.Join(dir, CheckpointFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		prev := filepath.Join(dir, PrevCheckpointFile)
		if _, err := os.Stat(prev); err != nil {
			return "", fmt.Errorf("search: no checkpoint in %s to resume from", dir)
		}
		return prev, nil
	}
	return path, nil
}

// latestCheckpoint reads the checkpoint to resume from (checkpointPath) and returns it with its
// path. When it is unusable and the previous one exists, the error says how to resume from that.
func latestCheckpoint(dir string) (*checkpointState, string, error) {
	path, err := checkpointPath(dir)
	if err != nil {
		return nil, "", err
	}
	st, err := readCheckpoint(path)
	if err != nil {
		if _, perr := os.Lstat(filepath.Join(dir, PrevCheckpointFile)); perr == nil && path != filepath.Join(dir, PrevCheckpointFile) {
			err = fmt.Errorf("%w; the previous checkpoint %s may be intact: move it to %s to resume from it", err, PrevCheckpointFile, CheckpointFile)
		}
		return nil, "", err
	}
	return st, path, nil
}

// Resume continues the search saved in dir, on the same data set: it restores the latest
// checkpoint and cuts steps.jsonl back to the lines that checkpoint covers (checked by their
// SHA-256), so steps logged after it by a run that was killed are done again, identically with a
// batch budget; the lines it keeps are not rewritten. A corrupt or incompatible checkpoint gives
// an error naming the file and changes nothing in dir. The strategy is rebuilt from the seed and
// the kept steps are replayed into it, which costs the strategy's own time per step (40–70 ms for
// one with a controller on a 2-core CPU, BENCHMARKS.md): WithProgress reports it.
func Resume(b compute.Backend, ds *data.Dataset, dir string, opts ...Option) (*Search, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	lock, err := openRunDir(dir)
	if err != nil {
		return nil, err
	}
	s, err := resumeLocked(b, ds, dir, lock, collect(opts))
	if err != nil {
		lock.Unlock()
		return nil, err
	}
	return s, nil
}

// Option changes how Create, Resume and Open work.
type Option func(*options)

type options struct {
	progress       progress.Func
	warmupFrom     string             // a run directory whose finished warm-up Create starts from
	checkpointHook func(phase string) // called at each phase of writing a checkpoint (tests)
}

// collect applies opts.
func collect(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithWarmupFrom makes Create start from the shared weights of the search in dir, whose warm-up
// (Config.Warmup) is finished, instead of doing the same warm-up again: it must have the same
// seed, supergraph and warm-up (its strategy may differ; the warm-up does not depend on it), and
// the new search then is the one a warm-up of its own would give. Searches of several strategies
// on one seed share one warm-up so (Compare does).
func WithWarmupFrom(dir string) Option {
	return func(o *options) { o.warmupFrom = dir }
}

// WithProgress makes Resume report each logged step it replays into the strategy (phase
// "replay", Done of Total), e.g. to a progress bar.
func WithProgress(report progress.Func) Option {
	return func(o *options) { o.progress = report }
}

func resumeLocked(b compute.Backend, ds *data.Dataset, dir string, lock *ckpt.Lock, o options) (*Search, error) {
	st, path, err := latestCheckpoint(dir)
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, StepsFile)
	kept, records, err := readLogPrefix(logPath, st)
	if err != nil {
		return nil, fmt.Errorf("search: %s does not match checkpoint %s: %w", logPath, path, err)
	}
	s, err := restore(b, ds, st)
	if err != nil {
		return nil, fmt.Errorf("search: checkpoint %s: %w", path, err)
	}
	if err := s.replay(records, o.progress); err != nil {
		return nil, fmt.Errorf("search: %s: %w", logPath, err)
	}
	// From here on the directory changes: the log loses the lines after the checkpoint.
	f, err := ckpt.OpenWrite(logPath, os.O_CREATE|os.O_WRONLY, ckpt.NoFollow)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if err := f.Truncate(st.LogBytes); err != nil {
		f.Close()
		return nil, fmt.Errorf("search: %w", err)
	}
	if _, err := f.Seek(st.LogBytes, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("search: %w", err)
	}
	h := sha256.New()
	h.Write(kept)
	s.run = &runDir{dir: dir, lock: lock, log: f, logBytes: st.LogBytes, logHash: h, checkpointed: len(records)}
	s.checkpointHook = o.checkpointHook
	s.afterStep = s.persistSteps
	return s, nil
}

// readLogPrefix returns the first st.LogBytes bytes of the log and their records, checked against
// the checkpoint. A missing log is an empty one when the checkpoint covers no step (a kill right
// after the first checkpoint).
func readLogPrefix(path string, st *checkpointState) ([]byte, []StepRecord, error) {
	f, err := ckpt.OpenRead(path, ckpt.NoFollow)
	if errors.Is(err, fs.ErrNotExist) && st.LogBytes == 0 {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	// Only the bytes the checkpoint covers are read: what a killed run logged after it is dropped.
	kept, err := io.ReadAll(io.LimitReader(f, st.LogBytes))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(kept)) < st.LogBytes {
		return nil, nil, fmt.Errorf("it has %d bytes, the checkpoint covers %d", len(kept), st.LogBytes)
	}
	sum := sha256.Sum256(kept)
	if hex.EncodeToString(sum[:]) != st.LogSHA256 {
		return nil, nil, fmt.Errorf("its first %d bytes are not the ones the checkpoint saw (edited or corrupt)", st.LogBytes)
	}
	var records []StepRecord
	for n, line := range bytes.SplitAfter(kept, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var rec StepRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			return nil, nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		records = append(records, rec)
	}
	if len(records) != st.Steps {
		return nil, nil, fmt.Errorf("%d records where the checkpoint has %d steps", len(records), st.Steps)
	}
	return kept, records, nil
}

// restore builds a search from a checked checkpoint; it touches no file.
func restore(b compute.Backend, ds *data.Dataset, st *checkpointState) (*Search, error) {
	if fp := ds.Fingerprint(); fp != st.Dataset {
		return nil, fmt.Errorf("it was made on data set %s, not %s", st.Dataset, fp)
	}
	s, err := newSearch(b, ds, st.Config)
	if err != nil {
		return nil, err
	}
	if err := s.sg.SetState(st.Supergraph); err != nil {
		return nil, err
	}
	s.pending, s.warmupDone = st.Pending, st.WarmupDone
	return s, nil
}

// persistSteps is the step hook of a search with a run directory: the record goes to
// steps.jsonl, and every CheckpointEvery steps a checkpoint covers it.
func (s *Search) persistSteps(rec *StepRecord) error {
	if err := s.run.appendRecord(*rec); err != nil {
		return err
	}
	if len(s.history)%s.cfg.CheckpointEvery == 0 {
		return s.Checkpoint()
	}
	return nil
}

// BestArch is what best-arch.json holds.
type BestArch struct {
	Arch     *arch.Arch `json:"arch"`
	ArchText string     `json:"arch_text"`
	// ValLoss is the shared-weight validation loss at its last visit; Visits counts the visits.
	ValLoss  float64 `json:"val_loss"`
	Visits   int     `json:"visits"`
	Strategy string  `json:"strategy"`
	Seed     uint64  `json:"seed"`
	// Steps is the number of search steps done when it was written.
	Steps int `json:"steps"`
	// Supergraph is the child network configuration it was found with.
	Supergraph supergraph.Config `json:"supergraph"`
}

// WriteBest writes Best(1) to path as JSON (atomically).
func (s *Search) WriteBest(path string) error {
	best, ok := s.Pick()
	if !ok {
		return nil
	}
	b := BestArch{Arch: best.Arch, ArchText: best.Arch.String(), ValLoss: best.ValLoss, Visits: best.Visits,
		Strategy: s.cfg.Strategy, Seed: s.cfg.Seed, Steps: len(s.history), Supergraph: s.cfg.Supergraph}
	return writeJSON(path, b)
}

// ReadArch reads an architecture from a file: best-arch.json, an architecture's JSON form, or its
// text form (e.g. "1:conv3 2:maxpool3 | 0>1 1>2 2>3").
func ReadArch(path string) (*arch.Arch, error) {
	raw, err := ckpt.ReadFile(path, 1<<20, ckpt.Follow)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	text := strings.TrimSpace(string(raw))
	if !strings.HasPrefix(text, "{") {
		a, err := arch.Parse(text)
		if err != nil {
			return nil, fmt.Errorf("search: %s: %w", path, err)
		}
		return a, nil
	}
	var best BestArch
	if err := json.Unmarshal(raw, &best); err == nil && best.Arch != nil {
		return best.Arch, nil
	}
	var a arch.Arch
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("search: %s is neither best-arch.json nor an architecture: %w", path, err)
	}
	return &a, nil
}

// ReadSteps reads the step records of a steps.jsonl file (or of a run directory holding one). A
// last line cut short by a crash is ignored. A finished run kept for reading may hold its log
// gzipped as steps.jsonl.gz (the committed comparisons do).
func ReadSteps(path string) ([]StepRecord, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, StepsFile)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			path += ".gz"
		}
	}
	f, err := ckpt.OpenRead(path, ckpt.Follow)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer f.Close()
	var in io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("search: %s: %w", path, err)
		}
		in = zr
	}
	var out []StepRecord
	r := bufio.NewReader(in)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var rec StepRecord
			if jerr := json.Unmarshal(line, &rec); jerr != nil {
				if err == io.EOF { // an unfinished last line
					break
				}
				return nil, fmt.Errorf("search: %s line %d: %w", path, n, jerr)
			}
			out = append(out, rec)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("search: %s: %w", path, err)
		}
	}
	return out, nil
}

// writeJSON writes v to path as indented JSON, so that a crash leaves the old file or the new one.
func writeJSON(path string, v any) error {
	if err := ckpt.WriteJSON(path, v); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	return nil
}

// writeAtomic writes data to path so that a crash leaves the old file or the new one.
func writeAtomic(path string, data []byte) error {
	if err := ckpt.WriteAtomic(path, data); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	return nil
}

// adoptWarmup gives s the shared weights of the finished warm-up in dir (WithWarmupFrom).
func (s *Search) adoptWarmup(dir string) error {
	st, path, err := latestCheckpoint(dir)
	if err != nil {
		return err
	}
	if fp := s.sg.Dataset().Fingerprint(); fp != st.Dataset {
		return fmt.Errorf("search: warm-up %s was made on data set %s, not %s", path, st.Dataset, fp)
	}
	theirs, err := st.Config.withDefaults()
	if err != nil {
		return err
	}
	mine := s.cfg
	if theirs.Seed != mine.Seed || theirs.Supergraph != mine.Supergraph || theirs.Warmup != mine.Warmup {
		return fmt.Errorf("search: the warm-up in %s is of another search (seed %d, %+v, warm-up %+v), not of this one (seed %d, %+v, warm-up %+v)",
			dir, theirs.Seed, theirs.Supergraph, theirs.Warmup, mine.Seed, mine.Supergraph, mine.Warmup)
	}
	if st.WarmupDone != mine.Warmup.Batches || st.Steps != 0 {
		return fmt.Errorf("search: %s holds %d of %d warm-up batches and %d steps: not a finished warm-up", dir, st.WarmupDone, mine.Warmup.Batches, st.Steps)
	}
	if err := s.sg.SetState(st.Supergraph); err != nil {
		return fmt.Errorf("search: warm-up %s: %w", path, err)
	}
	s.warmupDone = st.WarmupDone
	return nil
}

// CheckpointID identifies the shared weights LoadSupergraph would load from dir: the SHA-256 of
// its latest checkpoint file. Two equal IDs are the same weights.
func CheckpointID(dir string) (string, error) {
	path, err := checkpointPath(dir)
	if err != nil {
		return "", err
	}
	raw, err := ckpt.ReadFile(path, 0, ckpt.NoFollow)
	if err != nil {
		return "", fmt.Errorf("search: %w", err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:]), nil
}

// LoadSupergraph returns the shared weights of the search in dir as of its latest checkpoint, with
// its configuration, for measuring them (graphenas/rank): it reads the checkpoint only, takes no
// lock and changes nothing in dir, so it works on a search another process is running.
func LoadSupergraph(b compute.Backend, ds *data.Dataset, dir string) (*supergraph.Supergraph, Config, error) {
	st, path, err := latestCheckpoint(dir)
	if err != nil {
		return nil, Config{}, err
	}
	if fp := ds.Fingerprint(); fp != st.Dataset {
		return nil, Config{}, fmt.Errorf("search: %s was made on data set %s, not %s", path, st.Dataset, fp)
	}
	cfg, err := st.Config.withDefaults()
	if err != nil {
		return nil, Config{}, err
	}
	sg, err := supergraph.New(b, ds, cfg.Supergraph)
	if err != nil {
		return nil, Config{}, err
	}
	if err := sg.SetState(st.Supergraph); err != nil {
		return nil, Config{}, fmt.Errorf("search: checkpoint %s: %w", path, err)
	}
	return sg, cfg, nil
}
