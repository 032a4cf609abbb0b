package varstore

import (
	"encoding/json"
	"testing"
)

// Decoding saved variables is fuzzed on the JSON a checkpoint holds: Tensors refuses what does not
// agree with its shape (without allocating the shape first) and never panics. The seed corpus runs
// as a normal test.

func FuzzTensors(f *testing.F) {
	f.Add([]byte(`[{"scope":"/a","name":"w","dtype":"Float32","dims":[2],"data":"AACAPwAAAEA="}]`))
	f.Add([]byte(`[{"scope":"/a","name":"w","dtype":"Float32","dims":[1073741824,1073741824],"data":""}]`))
	f.Add([]byte(`[{"scope":"/a","name":"w","dtype":"Float32","dims":[1073741824],"data":"AAAAAA=="}]`))
	f.Add([]byte(`[{"scope":"/a","name":"w","dtype":"Float32","dims":[1],"data":"AADAfw=="}]`))
	f.Add([]byte(`[{"scope":"/a","name":"w","dtype":"Int64","dims":[0],"data":""}]`))
	f.Add([]byte(`[{"scope":"/a","name":"w","dtype":"Bogus","dims":[1],"data":"AA=="}]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var vars []Var
		if json.Unmarshal(raw, &vars) != nil {
			return
		}
		ts, err := Tensors(vars)
		if err != nil {
			return
		}
		for i, tt := range ts {
			n := 0
			tt.ConstBytes(func(b []byte) { n = len(b) })
			if n != len(vars[i].Data) {
				t.Fatalf("variable %d: %d bytes became a tensor of %d", i, len(vars[i].Data), n)
			}
		}
	})
}
