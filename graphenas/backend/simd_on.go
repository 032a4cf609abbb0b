//go:build amd64 && goexperiment.simd

package backend

import "simd/archsimd"

// simdBuilt is true: this binary was built with GOEXPERIMENT=simd on amd64.
const simdBuilt = true

// simdKernel names the widest instruction set the Go back-end's matmul kernels use on this CPU.
func simdKernel() string {
	switch {
	case archsimd.X86.AVX512():
		return "avx512"
	case archsimd.X86.AVX2():
		return "avx2"
	}
	return "scalar"
}
