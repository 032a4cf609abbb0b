//go:build !(amd64 && goexperiment.simd)

package backend

// simdBuilt is false: this binary was built without GOEXPERIMENT=simd (or not for amd64), so
// the Go back-end's matmul uses its scalar kernel.
const simdBuilt = false

func simdKernel() string { return "scalar" }
