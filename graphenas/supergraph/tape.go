package supergraph

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // graph-building code reads best with the ops unqualified.
)

// tape records the backward step of every layer built for a training graph, so that the whole
// backward pass is written by hand. This is the way around two limits of GoMLX's simplego
// back-end (graphenas/GOMLX-NOTES.md): it cannot differentiate Convolve or max-pooling, and automatic
// differentiation of Dot costs several times the hand-written products.
//
// Layers call record with a closure that reads the gradients of their outputs (grad) and adds
// gradients to their inputs (accumulate). backward runs the closures in reverse order.
type tape struct {
	grads map[*Node]*Node
	steps []func()
}

func newTape() *tape { return &tape{grads: map[*Node]*Node{}} }

// record appends one layer's backward step.
func (t *tape) record(step func()) {
	if t != nil {
		t.steps = append(t.steps, step)
	}
}

// accumulate adds g to the gradient of x.
func (t *tape) accumulate(x, g *Node) {
	if old, ok := t.grads[x]; ok {
		t.grads[x] = Add(old, g)
	} else {
		t.grads[x] = g
	}
}

// grad returns the gradient of x, or nil when nothing downstream of x reached the loss.
func (t *tape) grad(x *Node) *Node { return t.grads[x] }

// backward seeds the gradient of the loss and runs every recorded step in reverse.
func (t *tape) backward(out, seed *Node) {
	t.accumulate(out, seed)
	for i := len(t.steps) - 1; i >= 0; i-- {
		t.steps[i]()
	}
}
