// Package varstore copies the variables of a GoMLX model store to plain Go values and back, for
// checkpoints: the supergraph's shared weights and the controller's weights and Adam moments are
// saved and restored through it.
package varstore

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Var is one context variable as bytes, in a form encoding/gob writes.
type Var struct {
	Scope, Name string
	DType       int
	Dims        []int
	Data        []byte
}

// Snapshot copies every variable of store, in the store's creation order.
func Snapshot(store *model.Store) ([]Var, error) {
	var out []Var
	for v := range store.IterVariables() {
		t, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		sv := Var{Scope: v.Scope(), Name: v.Name(), DType: int(t.DType()), Dims: t.Shape().Dimensions}
		if err := t.ConstBytes(func(b []byte) { sv.Data = append([]byte(nil), b...) }); err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		out = append(out, sv)
	}
	return out, nil
}

// Tensors checks every saved variable (a known dtype, a byte count that matches its shape) and
// returns them as tensors; nothing is changed when it fails.
func Tensors(vars []Var) ([]*tensors.Tensor, error) {
	out := make([]*tensors.Tensor, len(vars))
	for i, v := range vars {
		dt := dtypes.DType(v.DType)
		if !dt.IsFloat() && !dt.IsInt() && !dt.IsUnsigned() && dt != dtypes.Bool {
			return nil, fmt.Errorf("variable %s/%s: unknown dtype %d", v.Scope, v.Name, v.DType)
		}
		for _, d := range v.Dims {
			if d < 0 || d > 1<<30 {
				return nil, fmt.Errorf("variable %s/%s: bad shape %v", v.Scope, v.Name, v.Dims)
			}
		}
		t := tensors.FromShape(shapes.Make(dt, v.Dims...))
		size := 0
		if err := t.ConstBytes(func(b []byte) { size = len(b) }); err != nil {
			return nil, fmt.Errorf("variable %s/%s: %w", v.Scope, v.Name, err)
		}
		if size != len(v.Data) {
			return nil, fmt.Errorf("variable %s/%s: %d bytes for shape %v of %s (want %d)", v.Scope, v.Name, len(v.Data), v.Dims, dt, size)
		}
		if err := t.MutableBytes(func(b []byte) { copy(b, v.Data) }); err != nil {
			return nil, fmt.Errorf("variable %s/%s: %w", v.Scope, v.Name, err)
		}
		out[i] = t
	}
	return out, nil
}

// Restore sets store's variables to the saved values. With strict, every saved variable must
// already exist in store with the same shape (a checkpoint of another configuration is refused);
// otherwise missing variables are created. Everything is checked before anything changes.
func Restore(store *model.Store, vars []Var, strict bool) error {
	values, err := Tensors(vars)
	if err != nil {
		return err
	}
	existing := make([]*model.Variable, len(vars))
	for i, v := range vars {
		cv := store.GetVariable(model.JoinPath(v.Scope, v.Name))
		if cv == nil {
			if strict {
				return fmt.Errorf("variable %s/%s is not in this model", v.Scope, v.Name)
			}
			continue
		}
		if !cv.Shape().Equal(values[i].Shape()) {
			return fmt.Errorf("variable %s/%s has shape %s here and %s in the saved state", v.Scope, v.Name, cv.Shape(), values[i].Shape())
		}
		existing[i] = cv
	}
	if strict {
		if n := store.NumVariables(); n != len(vars) {
			return fmt.Errorf("the saved state has %d variables, this model %d", len(vars), n)
		}
	}
	for i, v := range vars {
		if existing[i] == nil {
			store.Scope(v.Scope).VariableWithValue(v.Name, values[i])
			continue
		}
		if err := existing[i].SetValue(values[i]); err != nil {
			return fmt.Errorf("variable %s/%s: %w", v.Scope, v.Name, err)
		}
	}
	return nil
}
