// Package arch is the architecture a GraphEnas search edits: a DAG of N nodes, each middle node
// carrying one Op, with edges i → j only for i < j (an upper-triangular adjacency). Node 0 is the
// input stem, node N−1 the output (graphenas/DESIGN.md §2). It has no GoMLX dependency: the controller, the
// plots and the logs read it as plain data.
package arch

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Op is the operation of a middle node. Every op keeps channels and resolution (stride 1, "same"
// padding).
type Op int

// The op catalogue of the original GraphEnas, in its order.
const (
	Conv3x3 Op = iota
	Conv5x5
	DepthwiseConv5x5
	DepthwiseConv7x7
	DilatedConv3x3
	DilatedConv5x5
	MaxPool3x3
	MaxPool5x5
	MaxPool7x7
	// NumOps is the number of ops in the catalogue.
	NumOps int = iota
)

// NoOp marks the input and output nodes, which carry no op.
const NoOp Op = -1

// OpFamily groups ops for plots: dense conv, depthwise conv, dilated conv, pooling.
type OpFamily string

// The op families.
const (
	FamilyConv      OpFamily = "conv"
	FamilyDepthwise OpFamily = "depthwise"
	FamilyDilated   OpFamily = "dilated"
	FamilyPool      OpFamily = "pool"
	FamilyNone      OpFamily = "none"
)

// opInfo describes one op: its short name (used in logs and JSON), kernel size, dilation, kind.
type opInfo struct {
	name     string
	kernel   int
	dilation int
	family   OpFamily
}

var opTable = [NumOps]opInfo{
	{"conv3", 3, 1, FamilyConv},
	{"conv5", 5, 1, FamilyConv},
	{"dwconv5", 5, 1, FamilyDepthwise},
	{"dwconv7", 7, 1, FamilyDepthwise},
	{"dilconv3", 3, 2, FamilyDilated},
	{"dilconv5", 5, 2, FamilyDilated},
	{"maxpool3", 3, 1, FamilyPool},
	{"maxpool5", 5, 1, FamilyPool},
	{"maxpool7", 7, 1, FamilyPool},
}

// AllOps returns the catalogue in order.
func AllOps() []Op {
	ops := make([]Op, NumOps)
	for i := range ops {
		ops[i] = Op(i)
	}
	return ops
}

// Valid reports whether op is one of the catalogue's.
func (op Op) Valid() bool { return op >= 0 && int(op) < NumOps }

// String returns the op's short name, e.g. "conv3" or "dwconv7"; "none" for NoOp.
func (op Op) String() string {
	if op == NoOp {
		return "none"
	}
	if !op.Valid() {
		return fmt.Sprintf("op(%d)", int(op))
	}
	return opTable[op].name
}

// Kernel returns the op's kernel size (window size for pooling).
func (op Op) Kernel() int { return opTable[op].kernel }

// Dilation returns the op's dilation (1 for none).
func (op Op) Dilation() int { return opTable[op].dilation }

// Family returns the op's family.
func (op Op) Family() OpFamily {
	if !op.Valid() {
		return FamilyNone
	}
	return opTable[op].family
}

// ParseOp returns the op with the given short name.
func ParseOp(s string) (Op, error) {
	if s == "none" || s == "" {
		return NoOp, nil
	}
	for i, info := range opTable {
		if info.name == s {
			return Op(i), nil
		}
	}
	names := make([]string, NumOps)
	for i, info := range opTable {
		names[i] = info.name
	}
	return NoOp, fmt.Errorf("arch: unknown op %q (known: %s)", s, strings.Join(names, ", "))
}

// MarshalJSON writes the op by name.
func (op Op) MarshalJSON() ([]byte, error) { return json.Marshal(op.String()) }

// UnmarshalJSON reads an op by name.
func (op *Op) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("arch: op must be a string: %w", err)
	}
	v, err := ParseOp(s)
	if err != nil {
		return err
	}
	*op = v
	return nil
}
