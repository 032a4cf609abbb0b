package search

import (
	"fmt"

	"github.com/graphenas/graphenas/graphenas/ckpt"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

// The checkpoint file (checkpoint.bin), version 4:
//
//	"GRAPHENAS-CHECKPOINT\n"
//	uint32 version, uint64 length of the body, uint32 CRC-32 (IEEE) of the body   (little-endian)
//	body: checkpointState as JSON
//
// The body is documented by the types below (their JSON names); reading it refuses unknown
// fields, so a file written by another layout fails loudly instead of resuming with fields
// zeroed. Tensors are varstore.Var: scope, name, dtype by name, dimensions and bytes (base64).
// The step records are not repeated here: steps.jsonl holds them, and the checkpoint names how
// many of its bytes it covers and their SHA-256. Nothing of the strategy is saved: a resumed
// search rebuilds it from the seed and replays those records (Search.replay). TestCheckpointSchema
// fails when any of these types changes without checkpointVersion changing. Version 2 (before
// the strategies were shared with the table) saved the controller, the population and the random
// generator, and named the controller's walk "graphenas".
const (
	checkpointMagic   = "GRAPHENAS-CHECKPOINT\n"
	checkpointVersion = 5
	// readableVersion is the oldest version this build still reads: version 3 differs from 4
	// only in lacking supergraph.Config.StemStride (read as 1, the only stem it had) and the
	// warm-up (it had none); version 4 from 5 only in the warm-up's per_arch (removed; a
	// checkpoint that set it is refused by name).
	readableVersion = 3
)

// checkpointState is everything a search needs to continue exactly where it was.
type checkpointState struct {
	Version int    `json:"version"`
	Config  Config `json:"config"`
	// Dataset fingerprints the data set, so that a run is not resumed on another.
	Dataset string `json:"dataset"`
	// Steps is the number of step records the checkpoint covers: the first LogBytes bytes of
	// steps.jsonl, whose SHA-256 is LogSHA256.
	Steps     int    `json:"steps"`
	LogBytes  int64  `json:"log_bytes"`
	LogSHA256 string `json:"log_sha256"`
	// WarmupDone counts the warm-up batches done (Config.Warmup).
	WarmupDone int `json:"warmup_done,omitempty"`
	// Pending are configuration changes made on resume that no step has recorded yet.
	Pending    []ConfigChange   `json:"pending_changes,omitempty"`
	Supergraph supergraph.State `json:"supergraph"`
}

// encodeCheckpoint returns the checkpoint file's bytes. Every number of the state must be finite:
// a search whose weights or losses diverged is not saved.
func encodeCheckpoint(st *checkpointState) ([]byte, error) {
	return ckpt.Encode(checkpointMagic, checkpointVersion, *st)
}

// readCheckpoint reads and checks a checkpoint file; every error names the file.
func readCheckpoint(path string) (*checkpointState, error) {
	raw, err := ckpt.ReadFile(path, 0, ckpt.NoFollow)
	if err != nil {
		return nil, fmt.Errorf("search: checkpoint: %w", err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("search: checkpoint %s is unusable: %s", path, fmt.Sprintf(format, args...))
	}
	version, body, err := ckpt.Unframe(raw, checkpointMagic)
	switch {
	case err != nil:
		return nil, bad("%v", err)
	case version == 2:
		return nil, bad("format version 2, written before the strategies were shared with the table (its \"graphenas\" is \"graphenas-walk\" now); this build reads %d: resume it with the GraphEnas that wrote it, or start again", checkpointVersion)
	case version < readableVersion || version > checkpointVersion:
		return nil, bad("format version %d, this build reads %d to %d (resume it with the GraphEnas that wrote it, or start again)", version, readableVersion, checkpointVersion)
	}
	var st checkpointState
	if err := ckpt.DecodeJSON(body, &st); err != nil {
		return nil, bad("%v", err)
	}
	if st.Version != int(version) {
		return nil, bad("body version %d, header %d", st.Version, version)
	}
	st.Version = checkpointVersion // read as this build's version from here on
	if st.Steps < 0 || st.LogBytes < 0 || st.WarmupDone < 0 {
		return nil, bad("%d steps in %d log bytes", st.Steps, st.LogBytes)
	}
	return &st, nil
}
