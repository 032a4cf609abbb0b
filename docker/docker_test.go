// Package docker holds the container recipe, the set-up script it runs, and the GPU check; this
// test lints the recipe.
package docker

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// instructions returns the Dockerfile's instructions with continuation lines joined and comments
// dropped.
func instructions(dockerfile string) []string {
	var out []string
	cur := ""
	for _, line := range strings.Split(dockerfile, "\n") {
		trimmed := strings.TrimSpace(line)
		if cur == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur += strings.TrimSuffix(trimmed, "\\") + " "
			continue
		}
		out = append(out, cur+trimmed)
		cur = ""
	}
	return out
}

// TestSetupIsTheSingleSource checks that the Dockerfile installs Jupyter, GoNB, the kernel and the
// Go tools only by running docker/setup.sh, never by repeating its steps.
func TestSetupIsTheSingleSource(t *testing.T) {
	df, setup := read(t, "Dockerfile"), read(t, "setup.sh")
	ins := instructions(df)
	runsSetup := false
	for _, in := range ins {
		if strings.HasPrefix(in, "RUN ") && strings.Contains(in, "bash docker/setup.sh") {
			runsSetup = true
		}
	}
	if !runsSetup {
		t.Error("the Dockerfile does not RUN bash docker/setup.sh")
	}
	// Every package and tool setup.sh installs must not be installed by the Dockerfile itself.
	m := regexp.MustCompile(`packages=\(([^)]*)\)`).FindStringSubmatch(setup)
	if m == nil {
		t.Fatal("setup.sh has no packages=(...) list")
	}
	owned := append(strings.Fields(m[1]), "gonb", "goimports", "gopls", "kernelspec", "chromium", "python3-torch")
	for _, in := range ins {
		if !strings.HasPrefix(in, "RUN ") || strings.Contains(in, "docker/setup.sh") {
			continue
		}
		for _, name := range owned {
			if regexp.MustCompile(`(^|[\s/])` + regexp.QuoteMeta(name) + `($|[\s@=])`).MatchString(in) {
				t.Errorf("the Dockerfile installs %q itself; that step belongs to docker/setup.sh:\n%s", name, in)
			}
		}
	}
}

// TestDockerfileLint applies the rules this project holds the recipe to (and hadolint, when
// installed): pinned base image, a non-root user, the notebook port, token authentication on.
func TestDockerfileLint(t *testing.T) {
	df := read(t, "Dockerfile")
	ins := instructions(df)
	var user, cmd string
	for _, in := range ins {
		switch {
		case strings.HasPrefix(in, "ARG BASE="):
			if base := strings.TrimPrefix(in, "ARG BASE="); !strings.Contains(base, ":") || strings.HasSuffix(base, ":latest") {
				t.Errorf("base image %q is not pinned to a tag", base)
			}
		case strings.HasPrefix(in, "FROM ") && strings.Contains(in, ":latest"):
			t.Errorf("unpinned base image: %s", in)
		case strings.HasPrefix(in, "USER "):
			user = strings.TrimSpace(strings.TrimPrefix(in, "USER "))
		case strings.HasPrefix(in, "CMD "):
			cmd = in
		}
	}
	if user == "" || user == "root" || user == "0" {
		t.Errorf("the server would run as root (USER %q)", user)
	}
	if !strings.Contains(df, "EXPOSE 8888") || !strings.Contains(cmd, "--port=8888") {
		t.Error("the notebook server is not on port 8888")
	}
	for _, bad := range []string{"token=''", `token=""`, "token= ", "--NotebookApp.token=\"\"", "disable_check_xsrf", "password=''"} {
		if strings.Contains(cmd, bad) {
			t.Errorf("the server turns authentication off (%s)", bad)
		}
	}
	if !strings.Contains(cmd, "jupyter") {
		t.Errorf("CMD does not start Jupyter: %s", cmd)
	}
	if hadolint, err := exec.LookPath("hadolint"); err == nil {
		if out, err := exec.Command(hadolint, "--ignore", "DL3008", "Dockerfile").CombinedOutput(); err != nil {
			t.Errorf("hadolint: %v\n%s", err, out)
		}
	} else {
		t.Log("hadolint is not installed (Debian has no package for it); the rules above stand in for it")
	}
}

// TestImageHasNoEscalationAndLeaksNothing holds the recipe to the rules of the security review:
// no way from notebook code to root in the final image (no sudo, no sudoers entry), nothing
// private copied into it (a .dockerignore that keeps out .git, runs and .env files), every
// download checked against a pinned checksum, and the Go back-end's SIMD kernels built.
func TestImageHasNoEscalationAndLeaksNothing(t *testing.T) {
	df := read(t, "Dockerfile")
	for _, in := range instructions(df) {
		for _, bad := range []string{"sudo", "sudoers", "NOPASSWD", "chmod u+s", "chmod 4", "setcap"} {
			if strings.Contains(in, bad) {
				t.Errorf("an instruction uses %q: notebook code could become root:\n%s", bad, in)
			}
		}
		if strings.HasPrefix(in, "RUN ") && regexp.MustCompile(`https?://`).MatchString(in) && !strings.Contains(in, "sha256sum -c") {
			t.Errorf("a download is not checked against a pinned checksum:\n%s", in)
		}
	}
	if !regexp.MustCompile(`(?m)^ARG GO_TOOLCHAIN_SHA256=[0-9a-f]{64}$`).MatchString(df) {
		t.Error("the Go toolchain's SHA-256 is not pinned (ARG GO_TOOLCHAIN_SHA256=<64 hex digits>)")
	}
	if !regexp.MustCompile(`GOEXPERIMENT=simd`).MatchString(df) {
		t.Error("the image does not build with GOEXPERIMENT=simd")
	}
	ignore := read(t, "../.dockerignore")
	lines := map[string]bool{}
	for _, l := range strings.Split(ignore, "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for _, want := range []string{".git", "**/runs", ".env", "*.env"} {
		if !lines[want] {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
}
