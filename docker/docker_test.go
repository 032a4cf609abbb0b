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
