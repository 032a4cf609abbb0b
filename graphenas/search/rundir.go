package search

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/controller"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/space"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

// Files of a run directory.
const (
	StepsFile          = "steps.jsonl"         // one StepRecord per line
	CheckpointFile     = "checkpoint.bin"      // the latest checkpoint
	PrevCheckpointFile = "checkpoint.prev.bin" // the one before it
	ConfigFile         = "config.json"         // the configuration, for people and tools
	BestFile           = "best-arch.json"      // Best(1) at the latest checkpoint
)

// checkpointMagic starts every checkpoint file; checkpointVersion changes with its layout.
const (
	checkpointMagic   = "GRAPHENAS-CHECKPOINT\n"
	checkpointVersion = 1
)

// runDir is the open log of a search with a directory.
type runDir struct {
	dir          string
	log          *os.File
	checkpointed int // steps in the latest checkpoint
}

// appendRecord writes one line to steps.jsonl and flushes it to disk.
func (r *runDir) appendRecord(rec StepRecord) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("search: step %d: %w", rec.Step, err)
	}
	if _, err := r.log.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("search: writing %s: %w", r.log.Name(), err)
	}
	if err := r.log.Sync(); err != nil {
		return fmt.Errorf("search: writing %s: %w", r.log.Name(), err)
	}
	return nil
}

// Create starts a search whose log and checkpoints go to dir (created if needed). It refuses a
// directory that already holds a search: continue that one with Resume.
func Create(b compute.Backend, ds *data.Dataset, cfg Config, dir string) (*Search, error) {
	for _, name := range []string{StepsFile, CheckpointFile, PrevCheckpointFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return nil, fmt.Errorf("search: %s already holds a search (%s): resume it, or choose another directory", dir, name)
		}
	}
	s, err := newSearch(b, ds, cfg)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	cj, err := json.MarshalIndent(s.cfg, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if err := writeAtomic(filepath.Join(dir, ConfigFile), append(cj, '\n')); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, StepsFile), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	s.run = &runDir{dir: dir, log: f, checkpointed: -1} // Close and Run write the first checkpoint
	return s, nil
}

// Close writes a checkpoint if steps were done since the last one, and closes the log; the
// search can still step but no longer logs. Open resumes it.
func (s *Search) Close() error {
	if s.run == nil {
		return nil
	}
	var err error
	if s.run.checkpointed != len(s.history) {
		err = s.Checkpoint()
	}
	err = errors.Join(err, s.run.log.Close())
	s.run = nil
	return err
}

// Open continues the search in dir if it holds one (Resume), and otherwise creates it there
// (Create). A notebook cell runs as a fresh program, so each cell opens the search, steps, and
// closes it. The configuration of a resumed search is the saved one; Open refuses to resume a
// search whose strategy or seed differ from cfg's.
func Open(b compute.Backend, ds *data.Dataset, cfg Config, dir string) (*Search, error) {
	_, errCk := os.Stat(filepath.Join(dir, CheckpointFile))
	_, errPrev := os.Stat(filepath.Join(dir, PrevCheckpointFile))
	if errCk != nil && errPrev != nil {
		if _, err := os.Stat(filepath.Join(dir, StepsFile)); err == nil {
			return nil, fmt.Errorf("search: %s has a log but no checkpoint (the search stopped before its first checkpoint): remove the directory to start again", dir)
		}
		return Create(b, ds, cfg, dir)
	}
	s, err := Resume(b, ds, dir)
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

// checkpointState is everything a search needs to continue exactly where it was.
type checkpointState struct {
	Config     Config
	Dataset    string
	RNG        []byte
	Current    string
	ValLoss    float64
	History    []StepRecord
	Visits     []savedVisit
	Population []savedMember
	Supergraph supergraph.State
	Controller []byte
}

type savedVisit struct {
	Arch        string
	ValLoss     float64
	Count, Step int
}

type savedMember struct {
	Arch    string
	ValLoss float64
}

// datasetFingerprint identifies a data set well enough to refuse resuming on another one.
func datasetFingerprint(ds *data.Dataset) string {
	h := fnv.New64a()
	for _, set := range []*data.Set{ds.Train, ds.Test} {
		fmt.Fprintf(h, "%d %d %d %d %d;", set.N, set.Height, set.Width, set.Channels, set.NumClasses)
		h.Write(set.Labels)
	}
	return fmt.Sprintf("%s/%016x", ds.Name, h.Sum64())
}

// Checkpoint writes the whole state to the run directory atomically (a temporary file renamed
// over the old checkpoint, which becomes checkpoint.prev.bin), and best-arch.json beside it.
func (s *Search) Checkpoint() error {
	if s.run == nil {
		return fmt.Errorf("search: no run directory to checkpoint to")
	}
	st := checkpointState{Config: s.cfg, Dataset: datasetFingerprint(s.sg.Dataset()), Current: space.ToArch(s.current).String(),
		ValLoss: s.valLoss, History: s.history}
	var err error
	if st.RNG, err = s.pcg.MarshalBinary(); err != nil {
		return fmt.Errorf("search: checkpoint: %w", err)
	}
	for _, v := range s.visits {
		st.Visits = append(st.Visits, savedVisit{Arch: v.arch.String(), ValLoss: v.valLoss, Count: v.count, Step: v.step})
	}
	for _, m := range s.pop {
		st.Population = append(st.Population, savedMember{Arch: space.ToArch(m.g).String(), ValLoss: m.valLoss})
	}
	if st.Supergraph, err = s.sg.State(); err != nil {
		return fmt.Errorf("search: checkpoint: %w", err)
	}
	if s.ctrl != nil {
		var buf bytes.Buffer
		if err := s.ctrl.Save(&buf); err != nil {
			return fmt.Errorf("search: checkpoint: %w", err)
		}
		st.Controller = buf.Bytes()
	}
	var payload bytes.Buffer
	if err := gob.NewEncoder(&payload).Encode(&st); err != nil {
		return fmt.Errorf("search: checkpoint: %w", err)
	}
	var file bytes.Buffer
	file.WriteString(checkpointMagic)
	var head [16]byte
	binary.LittleEndian.PutUint32(head[0:], checkpointVersion)
	binary.LittleEndian.PutUint64(head[4:], uint64(payload.Len()))
	binary.LittleEndian.PutUint32(head[12:], crc32.ChecksumIEEE(payload.Bytes()))
	file.Write(head[:])
	file.Write(payload.Bytes())

	path := filepath.Join(s.run.dir, CheckpointFile)
	if _, err := os.Stat(path); err == nil {
		if err := os.Rename(path, filepath.Join(s.run.dir, PrevCheckpointFile)); err != nil {
			return fmt.Errorf("search: checkpoint: %w", err)
		}
	}
	if err := writeAtomic(path, file.Bytes()); err != nil {
		return err
	}
	s.run.checkpointed = len(s.history)
	return s.WriteBest(filepath.Join(s.run.dir, BestFile))
}

// readCheckpoint reads and checks a checkpoint file; every error names the file.
func readCheckpoint(path string) (*checkpointState, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("search: checkpoint %s is unusable: %s", path, fmt.Sprintf(format, args...))
	}
	if !bytes.HasPrefix(raw, []byte(checkpointMagic)) {
		return nil, bad("not a GraphEnas checkpoint")
	}
	raw = raw[len(checkpointMagic):]
	if len(raw) < 16 {
		return nil, bad("truncated header")
	}
	version := binary.LittleEndian.Uint32(raw[0:])
	size := binary.LittleEndian.Uint64(raw[4:])
	sum := binary.LittleEndian.Uint32(raw[12:])
	payload := raw[16:]
	switch {
	case version != checkpointVersion:
		return nil, bad("format version %d, this build reads %d", version, checkpointVersion)
	case uint64(len(payload)) != size:
		return nil, bad("truncated or padded: %d bytes of payload, the header says %d", len(payload), size)
	case crc32.ChecksumIEEE(payload) != sum:
		return nil, bad("checksum mismatch (the file is corrupt)")
	}
	var st checkpointState
	if err := gob.NewDecoder(bytes.NewReader(payload)).Decode(&st); err != nil {
		return nil, bad("%v", err)
	}
	return &st, nil
}

// Resume continues the search saved in dir, on the same data set: it restores the latest
// checkpoint and rewrites steps.jsonl to the steps that checkpoint holds, so steps logged after
// it (by a run that was killed) are done again, identically with a batch budget. A corrupt or
// incompatible checkpoint gives an error naming the file and changes nothing in dir.
func Resume(b compute.Backend, ds *data.Dataset, dir string) (*Search, error) {
	path := filepath.Join(dir, CheckpointFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		// A crash between the two renames of Checkpoint leaves only the previous one.
		prev := filepath.Join(dir, PrevCheckpointFile)
		if _, err := os.Stat(prev); err != nil {
			return nil, fmt.Errorf("search: no checkpoint in %s to resume from (a run writes one every CheckpointEvery steps)", dir)
		}
		path = prev
	}
	st, err := readCheckpoint(path)
	if err != nil {
		if _, perr := os.Stat(filepath.Join(dir, PrevCheckpointFile)); perr == nil && path != filepath.Join(dir, PrevCheckpointFile) {
			err = fmt.Errorf("%w; the previous checkpoint %s may be intact: move it to %s to resume from it", err, PrevCheckpointFile, CheckpointFile)
		}
		return nil, err
	}
	s, err := restore(b, ds, st)
	if err != nil {
		return nil, fmt.Errorf("search: checkpoint %s: %w", path, err)
	}
	// The log: exactly the checkpoint's records, then append from there.
	var buf bytes.Buffer
	for _, rec := range s.history {
		line, err := json.Marshal(rec)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		buf.Write(append(line, '\n'))
	}
	logPath := filepath.Join(dir, StepsFile)
	if err := writeAtomic(logPath, buf.Bytes()); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	s.run = &runDir{dir: dir, log: f, checkpointed: len(s.history)}
	return s, nil
}

// restore builds a search from a checked checkpoint; it touches no file.
func restore(b compute.Backend, ds *data.Dataset, st *checkpointState) (*Search, error) {
	if fp := datasetFingerprint(ds); fp != st.Dataset {
		return nil, fmt.Errorf("it was made on data set %s, not %s", st.Dataset, fp)
	}
	s, err := newSearch(b, ds, st.Config)
	if err != nil {
		return nil, err
	}
	parse := func(text string) (*space.Graph, error) {
		a, err := arch.Parse(text)
		if err != nil {
			return nil, err
		}
		if a.N() != s.cfg.Supergraph.Nodes {
			return nil, fmt.Errorf("architecture %q has %d nodes, the search %d", text, a.N(), s.cfg.Supergraph.Nodes)
		}
		return space.FromArch(a), nil
	}
	if s.current, err = parse(st.Current); err != nil {
		return nil, err
	}
	for _, v := range st.Visits {
		g, err := parse(v.Arch)
		if err != nil {
			return nil, err
		}
		a := space.ToArch(g)
		s.visits[a.Key()] = &visit{arch: a, valLoss: v.ValLoss, count: v.Count, step: v.Step}
	}
	for _, m := range st.Population {
		g, err := parse(m.Arch)
		if err != nil {
			return nil, err
		}
		s.pop = append(s.pop, member{g: g, valLoss: m.ValLoss})
	}
	if err := s.pcg.UnmarshalBinary(st.RNG); err != nil {
		return nil, fmt.Errorf("random state: %w", err)
	}
	if (s.ctrl != nil) != (len(st.Controller) > 0) {
		return nil, fmt.Errorf("controller state present: %v, strategy %s", len(st.Controller) > 0, s.cfg.Strategy)
	}
	if s.ctrl != nil {
		if s.ctrl, err = controller.Load(bytes.NewReader(st.Controller), s.ctrl); err != nil {
			return nil, err
		}
	}
	if err := s.sg.SetState(st.Supergraph); err != nil {
		return nil, err
	}
	s.valLoss, s.history = st.ValLoss, st.History
	return s, nil
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
	best := s.Best(1)
	if len(best) == 0 {
		return nil
	}
	b := BestArch{Arch: best[0].Arch, ArchText: best[0].Arch.String(), ValLoss: best[0].ValLoss, Visits: best[0].Visits,
		Strategy: s.cfg.Strategy, Seed: s.cfg.Seed, Steps: len(s.history), Supergraph: s.cfg.Supergraph}
	out, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	return writeAtomic(path, append(out, '\n'))
}

// ReadArch reads an architecture from a file: best-arch.json, an architecture's JSON form, or its
// text form (e.g. "1:conv3 2:maxpool3 | 0>1 1>2 2>3").
func ReadArch(path string) (*arch.Arch, error) {
	raw, err := os.ReadFile(path)
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
// last line cut short by a crash is ignored.
func ReadSteps(path string) ([]StepRecord, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, StepsFile)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer f.Close()
	var out []StepRecord
	r := bufio.NewReader(f)
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

// writeAtomic writes data to path through a temporary file in the same folder, synced and renamed.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	_, werr := tmp.Write(data)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("search: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("search: %w", err)
	}
	return nil
}
