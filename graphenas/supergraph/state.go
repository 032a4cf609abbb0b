package supergraph

import (
	"fmt"

	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/varstore"
)

// State is everything a supergraph needs to continue exactly where it was: the shared weights
// with their momenta and batch-norm statistics, the random generator of time budgets, the data
// iterators' positions and the learning rate. Its JSON form is part of a search checkpoint.
type State struct {
	Config       Config         `json:"config"`
	Vars         []varstore.Var `json:"vars"`
	RNG          []byte         `json:"rng"`
	TrainPos     data.Position  `json:"train_position"`
	ArchPos      data.Position  `json:"arch_position"`
	LearningRate float64        `json:"learning_rate"`
}

// State returns a copy of the supergraph's state; an error when any weight, momentum or
// batch-norm statistic is not finite.
func (s *Supergraph) State() (State, error) {
	st := State{Config: s.cfg, TrainPos: s.trainBatches.Position(), LearningRate: s.lr}
	if s.archBatches != nil {
		st.ArchPos = s.archBatches.Position()
	}
	var err error
	if st.RNG, err = s.pcg.MarshalBinary(); err != nil {
		return st, fmt.Errorf("supergraph: saving the random state: %w", err)
	}
	if st.Vars, err = varstore.Snapshot(s.store); err != nil {
		return st, fmt.Errorf("supergraph: saving the weights: %w", err)
	}
	// Weights, momenta and batch-norm statistics: a state that diverged is not worth saving.
	if err := varstore.CheckFinite(st.Vars); err != nil {
		return st, fmt.Errorf("supergraph: the shared weights are not finite: %w", err)
	}
	return st, nil
}

// SetState restores what State returned. The state must come from a supergraph of the same
// configuration and data set; everything is checked before anything changes, so an error leaves
// the supergraph as it was.
func (s *Supergraph) SetState(st State) error {
	want, got := s.cfg, st.Config
	want.CacheSize, got.CacheSize = 0, 0
	want.Kernels, got.Kernels = "", "" // a run may continue on another back-end
	// The learning rate is state (LearningRate below), which a resumed run may change.
	want.LearningRate, got.LearningRate = 0, 0
	if want != got {
		return fmt.Errorf("supergraph: the saved state is for configuration %+v, this supergraph has %+v", got, want)
	}
	if _, err := varstore.Tensors(st.Vars); err != nil {
		return fmt.Errorf("supergraph: saved weights: %w", err)
	}
	if err := checkPosition(st.TrainPos, s.trainBatches); err != nil {
		return fmt.Errorf("supergraph: saved position in the weights split: %w", err)
	}
	if s.archBatches != nil {
		if err := checkPosition(st.ArchPos, s.archBatches); err != nil {
			return fmt.Errorf("supergraph: saved position in the architecture split: %w", err)
		}
	}
	rng := *s.pcg
	if err := rng.UnmarshalBinary(st.RNG); err != nil {
		return fmt.Errorf("supergraph: saved random state: %w", err)
	}
	if err := varstore.Restore(s.store, st.Vars, true); err != nil {
		return fmt.Errorf("supergraph: saved weights: %w", err)
	}
	*s.pcg = rng
	s.lr = st.LearningRate
	_ = s.trainBatches.SetPosition(st.TrainPos) // checked above
	if s.archBatches != nil {
		_ = s.archBatches.SetPosition(st.ArchPos)
	}
	return nil
}

func checkPosition(p data.Position, b *data.Batcher) error {
	if p.Epoch < 0 || p.Cursor < 0 || p.Cursor > b.Len() {
		return fmt.Errorf("position %+v out of range for %d images", p, b.Len())
	}
	return nil
}
