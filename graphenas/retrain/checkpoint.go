package retrain

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"

	"github.com/graphenas/graphenas/graphenas/ckpt"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

// The retraining checkpoint file, version 1:
//
//	"GRAPHENAS-RETRAIN-CHECKPOINT\n"
//	uint32 version, uint64 length of the body, uint32 CRC-32 (IEEE) of the body   (little-endian)
//	body: checkpointState as JSON
//
// Reading it refuses unknown fields, so a file of another layout fails loudly instead of
// resuming with fields zeroed.
const (
	checkpointMagic   = "GRAPHENAS-RETRAIN-CHECKPOINT\n"
	checkpointVersion = 1
	// searchCheckpointMagic opens a search's checkpoint (package search), which a retraining
	// must not take for a damaged one of its own and advise deleting.
	searchCheckpointMagic = "GRAPHENAS-CHECKPOINT\n"
)

// checkpointState is everything a retraining needs to continue exactly where it was: what it
// retrains (architecture, data set, budget), how far it got, what it has reported, and the
// network's state (weights, momenta, batch-norm statistics, data position).
type checkpointState struct {
	Version      int     `json:"version"`
	Arch         string  `json:"arch"`
	Dataset      string  `json:"dataset"`
	Seed         uint64  `json:"seed"`
	Epochs       float64 `json:"epochs"`
	LearningRate float64 `json:"learning_rate"`
	WarmupEpochs float64 `json:"warmup_epochs"`
	ReportEvery  int     `json:"report_every"`
	// Batches done, and the sums of the train loss and accuracy since the last report.
	Batches int     `json:"batches"`
	LossSum float64 `json:"loss_sum"`
	AccSum  float64 `json:"acc_sum"`
	Count   int     `json:"count"`
	// Seconds of training so far, and the points reported.
	Seconds    float64          `json:"seconds"`
	Curve      []Point          `json:"curve"`
	Supergraph supergraph.State `json:"supergraph"`
}

// sameRetraining returns an error naming what differs when st is not a checkpoint of want's
// retraining (its progress and network state aside).
func (st *checkpointState) sameRetraining(want checkpointState) error {
	type budget struct {
		Arch, Dataset                      string
		Seed                               uint64
		Epochs, LearningRate, WarmupEpochs float64
		ReportEvery                        int
	}
	got := budget{st.Arch, st.Dataset, st.Seed, st.Epochs, st.LearningRate, st.WarmupEpochs, st.ReportEvery}
	asked := budget{want.Arch, want.Dataset, want.Seed, want.Epochs, want.LearningRate, want.WarmupEpochs, want.ReportEvery}
	if got != asked {
		return fmt.Errorf("it holds the retraining %+v, this one is %+v", got, asked)
	}
	return nil
}

// saveCheckpoint writes st to path atomically; a state that is not finite is not saved.
func saveCheckpoint(path string, st *checkpointState) error {
	file, err := ckpt.Encode(checkpointMagic, checkpointVersion, *st)
	if err != nil {
		return fmt.Errorf("retrain: checkpoint %s not written, the last good one is kept: %w", path, err)
	}
	if err := ckpt.WriteAtomic(path, file); err != nil {
		return fmt.Errorf("retrain: checkpoint: %w", err)
	}
	return nil
}

// loadCheckpoint reads the checkpoint at path; nil without error when there is none.
func loadCheckpoint(path string) (*checkpointState, error) {
	raw, err := ckpt.ReadFile(path, 0, ckpt.NoFollow)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("retrain: checkpoint: %w", err)
	}
	if bytes.HasPrefix(raw, []byte(searchCheckpointMagic)) {
		return nil, fmt.Errorf("retrain: %s is a search's checkpoint, not a retraining's: name another file for --checkpoint (it is kept)", path)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("retrain: checkpoint %s is unusable (delete it to retrain from the start): %s", path, fmt.Sprintf(format, args...))
	}
	version, body, err := ckpt.Unframe(raw, checkpointMagic)
	if err != nil {
		return nil, bad("%v", err)
	}
	if version != checkpointVersion {
		return nil, bad("format version %d, this build reads %d", version, checkpointVersion)
	}
	var st checkpointState
	if err := ckpt.DecodeJSON(body, &st); err != nil {
		return nil, bad("%v", err)
	}
	if st.Version != checkpointVersion || st.Batches < 0 || st.Count < 0 {
		return nil, bad("body version %d, %d batches, %d since the last report", st.Version, st.Batches, st.Count)
	}
	return &st, nil
}
