package docker

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
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

// fakeGraphenas writes a stand-in for the built command line into dir: "env" succeeds, "compare
// --read-only" prints a table, and "compare" writes its process id to $FAKE_PID and then does what
// $FAKE_COMPARE says (a shell command; by default it succeeds at once).
func fakeGraphenas(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "graphenas")
	script := `#!/bin/bash
case "$1" in
env) exit 0 ;;
compare)
  for a in "$@"; do [ "$a" = --read-only ] && { echo "read back: tables"; exit 0; }; done
  echo $$ > "$FAKE_PID"
  eval "${FAKE_COMPARE:-exit 0}" ;;
esac
`
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// compareEnv is the environment of a "compare" run with the stand-in, on the Go back-end.
func compareEnv(t *testing.T, out string, extra ...string) []string {
	tmp := t.TempDir()
	return append([]string{"GRAPHENAS_BIN=" + fakeGraphenas(t, tmp), "GOMLX_BACKEND=go", "OUT=" + out,
		"FAKE_PID=" + filepath.Join(tmp, "pid")}, extra...)
}

// The copy never replaces the comparison it is made from: OUT its parent (the copy would be the
// comparison itself), or OUT inside it, is refused, and the comparison is untouched.
func TestGPUCheckCompareNeverDeletesItsSource(t *testing.T) {
	parent := t.TempDir()
	cmp := filepath.Join(parent, "mycmp")
	if err := os.MkdirAll(filepath.Join(cmp, "random-seed1"), 0o755); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(cmp, "random-seed1", "run.json")
	os.WriteFile(keep, []byte("{}"), 0o644)
	for _, out := range []string{parent, cmp, filepath.Join(cmp, "random-seed1")} {
		got, code := gpuCheck(t, compareEnv(t, out), "compare", cmp, "60")
		if code != 1 || !strings.Contains(got, "set OUT to another folder") {
			t.Errorf("OUT=%s: exit %d, %q", out, code, got)
		}
		if _, err := os.Stat(keep); err != nil {
			t.Fatalf("OUT=%s: the comparison lost %s: %v", out, keep, err)
		}
	}
	// A comparison in /tmp with OUT unset would be copied onto itself: refused too.
	if got, code := gpuCheck(t, compareEnv(t, "/tmp"), "compare", "/tmp", "60"); code != 1 || !strings.Contains(got, "another folder") {
		t.Errorf("DIR=/tmp, OUT=/tmp: exit %d, %q", code, got)
	}
}

// SECONDS must be a positive number: 0 and inf (no limit to timeout), -1, NaN and "" are refused
// before anything is copied, with exit status 2.
func TestGPUCheckCompareRefusesABadTimeLimit(t *testing.T) {
	cmp := t.TempDir()
	out := t.TempDir()
	for _, s := range []string{"0", "0.0", "inf", "-1", "NaN", "", "1e3", "10s"} {
		got, code := gpuCheck(t, compareEnv(t, out), "compare", cmp, s)
		if code != 2 || !strings.Contains(got, "SECONDS must be a positive number") {
			t.Errorf("SECONDS %q: exit %d, %q", s, code, got)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("a refused run copied %d entries to OUT", len(entries))
	}
}

// The script exits with the comparison's status: 0 when it finished, its own status when it
// failed, 124 when the time limit stopped it; the tables are read back every time.
func TestGPUCheckCompareExitStatus(t *testing.T) {
	cmp := filepath.Join(t.TempDir(), "cmp")
	os.MkdirAll(cmp, 0o755)
	for _, c := range []struct {
		compare string
		code    int
		says    string
	}{
		{"exit 0", 0, "exit status 0 (finished)"},
		{"exit 3", 3, "exit status 3 (failed or stopped"},
		{"exec sleep 30", 124, "exit status 124 (time limit of 1 s reached"},
	} {
		got, code := gpuCheck(t, compareEnv(t, t.TempDir(), "FAKE_COMPARE="+c.compare), "compare", cmp, "1")
		if code != c.code || !strings.Contains(got, c.says) || !strings.Contains(got, "read back: tables") {
			t.Errorf("compare doing %q: exit %d, %q", c.compare, code, got)
		}
	}
}

// Stopping the script (SIGTERM or SIGINT, as a terminal's Ctrl-C or a scheduler's kill sends)
// stops the comparison it started: no process is left behind.
func TestGPUCheckCompareLeavesNoProcessWhenKilled(t *testing.T) {
	cmp := filepath.Join(t.TempDir(), "cmp")
	os.MkdirAll(cmp, 0o755)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		env := compareEnv(t, t.TempDir(), "FAKE_COMPARE=exec sleep 60")
		pidFile := strings.TrimPrefix(env[3], "FAKE_PID=")
		cmd := exec.Command("bash", "gpu-check.sh", "compare", cmp, "120")
		cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}, env...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var pid int
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && pid == 0; time.Sleep(50 * time.Millisecond) {
			raw, _ := os.ReadFile(pidFile)
			pid, _ = strconv.Atoi(strings.TrimSpace(string(raw)))
		}
		if pid == 0 {
			cmd.Process.Kill()
			t.Fatal("the comparison never started")
		}
		cmd.Process.Signal(sig)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v: the script did not stop", sig)
		}
		gone := false
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !gone; time.Sleep(50 * time.Millisecond) {
			gone = syscall.Kill(pid, 0) != nil
		}
		if !gone {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("%v: the comparison (process %d) outlived the script", sig, pid)
		}
	}
}
