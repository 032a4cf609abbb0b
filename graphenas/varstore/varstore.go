// Package varstore copies the variables of a GoMLX model store to plain Go values and back, for
// checkpoints: the supergraph's shared weights and the controller's weights and Adam moments are
// saved and restored through it. A Var's JSON form names its dtype ("Float32") and holds its bytes
// (little-endian, row-major) in base64.
package varstore

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Var is one model-store variable as bytes.
type Var struct {
	Scope string `json:"scope"`
	Name  string `json:"name"`
	// DType is the dtype's name, as compute/dtypes spells it ("Float32", "Int64", …).
	DType string `json:"dtype"`
	Dims  []int  `json:"dims"`
	Data  []byte `json:"data"`
}

// Path is the variable's full path, scope/name.
func (v Var) Path() string { return v.Scope + "/" + v.Name }

// dtype returns the variable's dtype, checking its name.
func (v Var) dtype() (dtypes.DType, error) {
	dt, ok := dtypes.MapOfNames[v.DType]
	if !ok || dt == dtypes.InvalidDType {
		return dtypes.InvalidDType, fmt.Errorf("variable %s: unknown dtype %q", v.Path(), v.DType)
	}
	return dt, nil
}

// CheckFinite returns an error naming the first floating-point variable that holds a NaN or an
// infinity (checkpoints only save finite states).
func CheckFinite(vars []Var) error {
	for _, v := range vars {
		dt, err := v.dtype()
		if err != nil {
			return err
		}
		var bad float64
		found := false
		switch dt {
		case dtypes.Float32:
			for i := 0; i+4 <= len(v.Data) && !found; i += 4 {
				x := float64(math.Float32frombits(binary.LittleEndian.Uint32(v.Data[i:])))
				if math.IsNaN(x) || math.IsInf(x, 0) {
					bad, found = x, true
				}
			}
		case dtypes.Float64:
			for i := 0; i+8 <= len(v.Data) && !found; i += 8 {
				x := math.Float64frombits(binary.LittleEndian.Uint64(v.Data[i:]))
				if math.IsNaN(x) || math.IsInf(x, 0) {
					bad, found = x, true
				}
			}
		}
		if found {
			return fmt.Errorf("variable %s holds %v", v.Path(), bad)
		}
	}
	return nil
}

// Snapshot copies every variable of store, in the store's creation order.
func Snapshot(store *model.Store) ([]Var, error) {
	var out []Var
	for v := range store.IterVariables() {
		t, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		sv := Var{Scope: v.Scope(), Name: v.Name(), DType: t.DType().String(), Dims: t.Shape().Dimensions}
		if err := t.ConstBytes(func(b []byte) { sv.Data = append([]byte(nil), b...) }); err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		out = append(out, sv)
	}
	return out, nil
}

// Tensors checks every saved variable (a known dtype, a byte count that matches its shape, every
// floating-point value finite) and returns them as tensors; nothing is allocated for a variable
// before its byte count is checked, and nothing is changed when it fails.
func Tensors(vars []Var) ([]*tensors.Tensor, error) {
	for _, v := range vars {
		if err := v.check(); err != nil {
			return nil, err
		}
	}
	if err := CheckFinite(vars); err != nil {
		return nil, err
	}
	out := make([]*tensors.Tensor, len(vars))
	for i, v := range vars {
		dt, _ := v.dtype()
		t := tensors.FromShape(shapes.Make(dt, v.Dims...))
		if err := t.MutableBytes(func(b []byte) { copy(b, v.Data) }); err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		out[i] = t
	}
	return out, nil
}

// check returns an error unless v's dtype is known and its bytes are exactly what its shape
// holds, computed without overflow and without allocating anything.
func (v Var) check() error {
	dt, err := v.dtype()
	if err != nil {
		return err
	}
	size := dt.Size()
	if size <= 0 {
		return fmt.Errorf("variable %s: dtype %s has no fixed size", v.Path(), dt)
	}
	want := uint64(size)
	for _, d := range v.Dims {
		if d < 0 || d > 1<<30 {
			return fmt.Errorf("variable %s: bad shape %v", v.Path(), v.Dims)
		}
		if d > 0 && want > uint64(len(v.Data))/uint64(d) { // want·d would exceed the data (or overflow)
			return fmt.Errorf("variable %s: %d bytes for shape %v of %s (it needs more)", v.Path(), len(v.Data), v.Dims, dt)
		}
		want *= uint64(d)
	}
	if want != uint64(len(v.Data)) {
		return fmt.Errorf("variable %s: %d bytes for shape %v of %s (want %d)", v.Path(), len(v.Data), v.Dims, dt, want)
	}
	return nil
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
