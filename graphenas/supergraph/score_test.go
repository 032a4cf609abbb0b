package supergraph

import (
	"math"
	"reflect"
	"testing"
)

// Scoring leaves the supergraph as it was (weights, batch-norm statistics, data positions), gives
// the same numbers every time, and in each batch-norm mode normalises as it says: re-estimated
// statistics are the means of the calibration batches' statistics, so a supergraph whose running
// statistics are still the initial ones scores differently with them.
func TestScoreIsRepeatableAndLeavesNoTrace(t *testing.T) {
	sg := newTiny(t, tinyConfig(), nil)
	a := mustParse(t, "1:conv3 2:maxpool3 | 0>1 1>2 2>3 0>3")
	if _, err := sg.Train(a, BatchBudget(5)); err != nil {
		t.Fatal(err)
	}
	before, err := sg.State()
	if err != nil {
		t.Fatal(err)
	}
	scores := map[BNMode]EvalResult{}
	for _, mode := range BNModes {
		sc := ScoreConfig{Images: 40, Mode: mode, CalibrationBatches: 3}
		first, err := sg.Score(a, sc)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := sg.Score(a, sc)
		if first.Loss != again.Loss || first.Images != 40 || math.IsNaN(first.Loss) {
			t.Errorf("%s: %+v, then %+v", mode, first, again)
		}
		scores[mode] = first
	}
	after, _ := sg.State()
	if !reflect.DeepEqual(before, after) {
		t.Error("scoring changed the supergraph's state")
	}
	if scores[BNRunning].Loss == scores[BNReestimated].Loss || scores[BNBatch].Loss == scores[BNReestimated].Loss {
		t.Errorf("the modes give the same scores: %+v", scores)
	}
	if _, err := sg.Score(a, ScoreConfig{Images: 40, Mode: "median"}); err == nil {
		t.Error("an unknown mode accepted")
	}
	if _, err := sg.Score(a, ScoreConfig{Images: 1 << 20, Mode: BNBatch}); err == nil {
		t.Error("more images than the split holds accepted")
	}
}
