package varstore

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

func TestSnapshotRestore(t *testing.T) {
	ctx := context.New()
	ctx.In("a").VariableWithValue("w", tensors.FromValue([]float32{1, 2, 3}))
	ctx.In("b").VariableWithValue("n", tensors.FromValue([]int32{7}))
	vars, err := Snapshot(ctx)
	if err != nil || len(vars) != 2 {
		t.Fatalf("snapshot: %v, %d vars", err, len(vars))
	}
	// Change the values, restore, read them back.
	other := context.New()
	other.In("a").VariableWithValue("w", tensors.FromValue([]float32{0, 0, 0}))
	other.In("b").VariableWithValue("n", tensors.FromValue([]int32{0}))
	if err := Restore(other, vars, true); err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](other.InspectVariable("/a", "w").MustValue())
	if got[0] != 1 || got[2] != 3 || tensors.MustCopyFlatData[int32](other.InspectVariable("/b", "n").MustValue())[0] != 7 {
		t.Errorf("restored %v", got)
	}
	// Strict refuses a model with other variables, and a shape mismatch; nothing changes.
	small := context.New()
	small.In("a").VariableWithValue("w", tensors.FromValue([]float32{9, 9}))
	if err := Restore(small, vars, true); err == nil || !strings.Contains(err.Error(), "shape") && !strings.Contains(err.Error(), "not in this model") {
		t.Errorf("strict restore into another model: %v", err)
	}
	if v := tensors.MustCopyFlatData[float32](small.InspectVariable("/a", "w").MustValue()); v[0] != 9 {
		t.Error("a refused restore changed a variable")
	}
	// Corrupt bytes are refused before anything happens.
	vars[0].Data = vars[0].Data[:5]
	if _, err := Tensors(vars); err == nil || !strings.Contains(err.Error(), "bytes") {
		t.Errorf("corrupt bytes: %v", err)
	}
	// Non-strict creates missing variables.
	empty := context.New()
	vars, _ = Snapshot(ctx)
	if err := Restore(empty, vars, false); err != nil || empty.InspectVariable("/b", "n") == nil {
		t.Errorf("non-strict restore: %v", err)
	}
}
