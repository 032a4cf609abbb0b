package docker

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gpuCheck runs docker/gpu-check.sh with args and env added to a bare environment (no Python
// plugin folders, no back-end chosen), returning its combined output and exit status.
func gpuCheck(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"gpu-check.sh"}, args...)...)
	home := t.TempDir()
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + home}, env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// On a machine without a CUDA plugin, "exec" refuses instead of letting graphenas fall back to the
// CPU unnoticed; a back-end the user chose is kept, and the copied data set is what graphenas reads.
func TestGPUCheckExecForcesTheGPU(t *testing.T) {
	out, code := gpuCheck(t, nil, "exec", "true")
	if code == 0 {
		t.Skip("a PJRT CUDA plugin is installed here")
	}
	if code != 1 || !strings.Contains(out, "no PJRT CUDA plugin found") {
		t.Errorf("exec without a plugin: exit %d, %q", code, out)
	}
	out, code = gpuCheck(t, []string{"GOMLX_BACKEND=xla:/opt/x/xla_cuda_plugin.so", "GRAPHENAS_DATA=/data"}, "exec", "sh", "-c", `echo "$GOMLX_BACKEND $GRAPHENAS_DATA"`)
	if code != 0 || strings.TrimSpace(out) != "xla:/opt/x/xla_cuda_plugin.so /data" {
		t.Errorf("exec with a chosen back-end: exit %d, %q", code, out)
	}
	if out, code := gpuCheck(t, nil, "exec"); code != 2 || !strings.Contains(out, "usage") {
		t.Errorf("exec without a command: exit %d, %q", code, out)
	}
}

// "compare" checks its arguments before it copies or runs anything.
func TestGPUCheckCompareArguments(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-comparison")
	if out, code := gpuCheck(t, nil, "compare", missing, "60"); code != 1 || !strings.Contains(out, "no comparison directory") {
		t.Errorf("compare of a missing directory: exit %d, %q", code, out)
	}
	if out, code := gpuCheck(t, nil, "compare", "."); code != 2 || !strings.Contains(out, "usage") {
		t.Errorf("compare without a time limit: exit %d, %q", code, out)
	}
	if out, code := gpuCheck(t, nil, "bogus"); code != 2 || !strings.Contains(out, "usage") {
		t.Errorf("unknown mode: exit %d, %q", code, out)
	}
}
