package backend

// SIMDReport says whether the Go back-end's matrix products use SIMD kernels in this binary.
type SIMDReport struct {
	// Built is true when the binary was built with GOEXPERIMENT=simd on amd64, the condition
	// under which github.com/gomlx/compute compiles its AVX2/AVX-512 matmul kernels.
	Built bool `json:"built"`
	// Kernel names the instruction set the kernels use on this CPU ("avx512", "avx2"), or
	// "scalar" when they are not built or the CPU has neither.
	Kernel string `json:"kernel"`
	// Fix says how to get them when Built is false.
	Fix string `json:"fix,omitempty"`
}

// simdFix is the advice printed when the SIMD kernels are missing.
const simdFix = "rebuild with GOEXPERIMENT=simd (e.g. `GOEXPERIMENT=simd go run ./graphenas/cmd/graphenas ...`): " +
	"without it the Go back-end silently multiplies matrices with its scalar kernel, several times slower"

// SIMD reports whether this binary has the Go back-end's SIMD matrix kernels.
func SIMD() SIMDReport {
	if !simdBuilt {
		return SIMDReport{Kernel: "scalar", Fix: simdFix}
	}
	return SIMDReport{Built: true, Kernel: simdKernel()}
}
