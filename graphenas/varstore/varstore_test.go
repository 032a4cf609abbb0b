package varstore

import (
	"runtime"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func TestSnapshotRestore(t *testing.T) {
	store := model.NewStore()
	store.Scope("/a").VariableWithValue("w", tensors.FromValue([]float32{1, 2, 3}))
	store.Scope("/b").VariableWithValue("n", tensors.FromValue([]int32{7}))
	vars, err := Snapshot(store)
	if err != nil || len(vars) != 2 {
		t.Fatalf("snapshot: %v, %d vars", err, len(vars))
	}
	// Change the values, restore, read them back.
	other := model.NewStore()
	other.Scope("/a").VariableWithValue("w", tensors.FromValue([]float32{0, 0, 0}))
	other.Scope("/b").VariableWithValue("n", tensors.FromValue([]int32{0}))
	if err := Restore(other, vars, true); err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](other.GetVariable("/a/w").MustValue())
	if got[0] != 1 || got[2] != 3 || tensors.MustCopyFlatData[int32](other.GetVariable("/b/n").MustValue())[0] != 7 {
		t.Errorf("restored %v", got)
	}
	// Strict refuses a model with other variables, and a shape mismatch; nothing changes.
	small := model.NewStore()
	small.Scope("/a").VariableWithValue("w", tensors.FromValue([]float32{9, 9}))
	if err := Restore(small, vars, true); err == nil || !strings.Contains(err.Error(), "shape") && !strings.Contains(err.Error(), "not in this model") {
		t.Errorf("strict restore into another model: %v", err)
	}
	if v := tensors.MustCopyFlatData[float32](small.GetVariable("/a/w").MustValue()); v[0] != 9 {
		t.Error("a refused restore changed a variable")
	}
	// Corrupt bytes are refused before anything happens.
	vars[0].Data = vars[0].Data[:5]
	if _, err := Tensors(vars); err == nil || !strings.Contains(err.Error(), "bytes") {
		t.Errorf("corrupt bytes: %v", err)
	}
	// Non-strict creates missing variables.
	empty := model.NewStore()
	vars, _ = Snapshot(store)
	if err := Restore(empty, vars, false); err != nil || empty.GetVariable("/b/n") == nil {
		t.Errorf("non-strict restore: %v", err)
	}
}

// A crafted variable cannot crash the loader or make it allocate its shape: dimensions whose
// product overflows, or that announce gigabytes the data do not hold, are refused before any
// allocation; NaN weights are refused too (reliability, round two).
func TestTensorsRefusesCraftedVariables(t *testing.T) {
	for _, c := range []struct {
		v    Var
		want string
	}{
		{Var{Scope: "/a", Name: "w", DType: "Float32", Dims: []int{1 << 30, 1 << 30}}, "it needs more"},
		{Var{Scope: "/a", Name: "w", DType: "Float32", Dims: []int{1 << 30}, Data: make([]byte, 4)}, "it needs more"},
		{Var{Scope: "/a", Name: "w", DType: "Float32", Dims: []int{1 << 31}}, "bad shape"},
		{Var{Scope: "/a", Name: "w", DType: "Float32", Dims: []int{1}, Data: []byte{0, 0, 0xc0, 0x7f}}, "holds NaN"},
		{Var{Scope: "/a", Name: "w", DType: "Float32", Dims: []int{2}, Data: make([]byte, 12)}, "want 8"},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Tensors([]Var{c.v})
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("dims %v, %d bytes: %v, want %q", c.v.Dims, len(c.v.Data), err, c.want)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
			t.Errorf("dims %v: %d bytes allocated to refuse it", c.v.Dims, grew)
		}
	}
}
