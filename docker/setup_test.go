package docker

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// needed lists what the project and its tests run from outside Go: programs (absolute paths),
// Python modules (imported by /usr/bin/python3) and data files. Each must come from a Debian
// package that docker/setup.sh installs, directly or as a dependency.
var needed = struct {
	programs, modules, files []string
	// torch are what `graphenas bench child` runs, installed with GRAPHENAS_SETUP_TORCH=1.
	torchModules []string
}{
	programs: []string{
		"/usr/bin/gcc",                // cgo: go-xla (PJRT) is compiled with it
		"/usr/bin/python3",            // setup.sh edits kernel.json with it; the PyTorch baseline
		"/usr/bin/jupyter",            // the README's first command, the notebook test
		"/usr/bin/jupyter-nbconvert",  // jupyter nbconvert --execute
		"/usr/bin/jupyter-kernelspec", // jupyter kernelspec list (setup.sh, the notebook test)
		"/usr/bin/jupyter-notebook",   // the notebook server (README, Dockerfile)
		"/usr/bin/chromium",           // the browser check of the HTML report
	},
	modules: []string{"nbconvert", "nbclient", "nbformat", "jupyter_client", "notebook"},
	files: []string{
		"/usr/include/stdlib.h", // the C library headers cgo compiles against
		"/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
	},
	torchModules: []string{"torch", "numpy"},
}

// setupPackages returns the Debian packages setup.sh installs by default (its packages=(…) list
// and the additions whose option defaults to 1, such as Chromium), and those it adds only when
// asked (an option defaulting to 0, such as PyTorch).
func setupPackages(t *testing.T) (always, optional []string) {
	t.Helper()
	script := read(t, "setup.sh")
	m := regexp.MustCompile(`(?m)^packages=\(([^)]*)\)`).FindStringSubmatch(script)
	if m == nil {
		t.Fatal("setup.sh has no packages=(...) list")
	}
	always = strings.Fields(m[1])
	for _, add := range regexp.MustCompile(`(?m)^.*:-([01])\}.*packages\+=\(([^)]*)\).*$`).FindAllStringSubmatch(script, -1) {
		if add[1] == "1" {
			always = append(always, strings.Fields(add[2])...)
		} else {
			optional = append(optional, strings.Fields(add[2])...)
		}
	}
	return always, optional
}

// owner returns the Debian package that installed path (dpkg -S), or "" if none did.
func owner(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("dpkg", "-S", path).Output()
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(out), "\n")
	pkgs, _, ok := strings.Cut(line, ": ")
	if !ok {
		return ""
	}
	pkg, _, _ := strings.Cut(strings.TrimSpace(strings.Split(pkgs, ",")[0]), ":") // drop ":amd64"
	return pkg
}

// closure returns the packages apt would install for pkgs with --no-install-recommends, as
// setup.sh calls it: the packages and their Depends and Pre-Depends, recursively.
func closure(t *testing.T, pkgs []string) map[string]bool {
	t.Helper()
	args := append([]string{"depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
		"--no-breaks", "--no-replaces", "--no-enhances"}, pkgs...)
	out, err := exec.Command("apt-cache", args...).Output()
	if err != nil {
		t.Fatalf("apt-cache %s: %v", strings.Join(args, " "), err)
	}
	names := map[string]bool{}
	add := func(name string) {
		name = strings.Trim(strings.TrimSpace(name), "<>")
		name, _, _ = strings.Cut(name, ":")
		if name != "" {
			names[name] = true
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, " ") {
			add(line)
			continue
		}
		if _, dep, ok := strings.Cut(line, "Depends: "); ok { // Depends: and PreDepends:
			add(dep)
		}
	}
	return names
}

// TestSetupInstallsWhatTheProjectRuns checks, from the package database rather than from what
// this machine happens to have, that docker/setup.sh installs every program, Python module and
// data file the project runs: each one's package (dpkg -S) must be in setup.sh's list or in the
// dependency closure of that list as apt installs it with --no-install-recommends. A machine set
// up by hand cannot fool it (jupyter-kernelspec comes from jupyter-client, which no package of the
// list depends on: setup.sh failed on a bare machine until the list named it).
func TestSetupInstallsWhatTheProjectRuns(t *testing.T) {
	for _, tool := range []string{"dpkg", "apt-cache"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("not a Debian system (%s not found): setup.sh's package list cannot be checked", tool)
		}
	}
	always, optional := setupPackages(t)
	if len(always) == 0 {
		t.Fatal("setup.sh installs no packages")
	}
	base := closure(t, always)
	withTorch := closure(t, append(append([]string(nil), always...), optional...))

	type item struct{ what, path string }
	var items, torchItems []item
	for _, p := range needed.programs {
		items = append(items, item{"program " + p, p})
	}
	for _, f := range needed.files {
		items = append(items, item{"file " + f, f})
	}
	modulePath := func(m string) string {
		out, err := exec.Command("/usr/bin/python3", "-c", "import "+m+"; print("+m+".__file__)").Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(out))
	}
	for _, m := range needed.modules {
		items = append(items, item{"Python module " + m, modulePath(m)})
	}
	for _, m := range needed.torchModules {
		torchItems = append(torchItems, item{"Python module " + m, modulePath(m)})
	}

	// CI: everything setup.sh installs must be installed; PyTorch only when it was asked for
	// (GRAPHENAS_SETUP_TORCH=1), since setup.sh installs it only then.
	requireAll := os.Getenv("GRAPHENAS_REQUIRE_NOTEBOOKS") == "1"
	var require bool
	check := func(it item, in map[string]bool, list string) {
		if it.path == "" {
			if require {
				t.Errorf("%s is not installed: run docker/setup.sh", it.what)
			} else {
				t.Logf("%s is not installed here; not checked", it.what)
			}
			return
		}
		if _, err := os.Stat(it.path); err != nil {
			if require {
				t.Errorf("%s is not installed: run docker/setup.sh", it.what)
			} else {
				t.Logf("%s is not installed here; not checked", it.what)
			}
			return
		}
		pkg := owner(t, it.path)
		switch {
		case pkg == "":
			t.Errorf("%s (%s) belongs to no Debian package: setup.sh cannot install it", it.what, it.path)
		case !in[pkg]:
			t.Errorf("%s comes from the Debian package %s, which %s does not install (add it to packages=(...))", it.what, pkg, list)
		default:
			t.Logf("%s: %s", it.what, pkg)
		}
	}
	require = requireAll
	for _, it := range items {
		check(it, base, "setup.sh")
	}
	require = requireAll && os.Getenv("GRAPHENAS_SETUP_TORCH") == "1"
	for _, it := range torchItems {
		check(it, withTorch, "GRAPHENAS_SETUP_TORCH=1 setup.sh")
	}
}

// TestClosureCatchesAMissingPackage checks the check itself: without jupyter-client in the list,
// jupyter-kernelspec's package is outside the closure, as it was when setup.sh failed on a bare
// machine.
func TestClosureCatchesAMissingPackage(t *testing.T) {
	for _, tool := range []string{"dpkg", "apt-cache"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("not a Debian system (%s not found)", tool)
		}
	}
	always, _ := setupPackages(t)
	var without []string
	for _, p := range always {
		if p != "jupyter-client" {
			without = append(without, p)
		}
	}
	if len(without) == len(always) {
		t.Fatal("setup.sh does not install jupyter-client")
	}
	if c := closure(t, without); c["jupyter-client"] {
		keys := make([]string, 0, len(c))
		for k := range c {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		t.Fatalf("jupyter-client is in the closure of %v without being listed; the regression test would not catch its removal", without)
	}
}
