// Package graphenas is the root of GraphEnas in Go: neural architecture search with weight
// sharing (ENAS) whose controller is a graph convolution network that edits the architecture one
// step at a time. The code lives in the packages below it (see graphenas/DESIGN.md for the
// algorithm and the layout): arch, supergraph, space, controller, search, tabular, surrogate,
// data, backend, and the command line in cmd/graphenas.
//
// This package holds no code; its test checks that the repository stands alone.
package graphenas
