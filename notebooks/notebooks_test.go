// Package notebooks holds the GraphEnas notebooks (GoNB kernel) and the test that executes them
// headlessly.
package notebooks

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// notebook is the part of an .ipynb file the checks read.
type notebook struct {
	Cells []struct {
		CellType       string   `json:"cell_type"`
		Source         []string `json:"source"`
		ExecutionCount *int     `json:"execution_count"`
		Outputs        []struct {
			OutputType string              `json:"output_type"`
			Name       string              `json:"name"`
			Text       []string            `json:"text"`
			Data       map[string][]string `json:"data"`
			Ename      string              `json:"ename"`
			Evalue     string              `json:"evalue"`
		} `json:"outputs"`
	} `json:"cells"`
}

func readNotebook(t *testing.T, path string) notebook {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb notebook
	if err := json.Unmarshal(raw, &nb); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return nb
}

// outputs returns every output of the notebook as text, and the failures among them: error
// outputs, and panics or must failures that GoNB reports on stderr.
func (nb notebook) outputs() (all string, failures []string) {
	var b strings.Builder
	for i, c := range nb.Cells {
		for _, o := range c.Outputs {
			text := strings.Join(o.Text, "")
			for _, v := range o.Data {
				text += strings.Join(v, "")
			}
			b.WriteString(text + "\n")
			src := strings.Join(c.Source, "")
			if len(src) > 80 {
				src = src[:80]
			}
			switch {
			case o.OutputType == "error":
				failures = append(failures, "cell "+itoa(i)+" ("+src+"): "+o.Ename+": "+o.Evalue)
			case strings.Contains(text, "panic:") || strings.Contains(text, "Must not error") || strings.Contains(text, "ERROR:"):
				failures = append(failures, "cell "+itoa(i)+" ("+src+"): "+text)
			}
		}
	}
	return b.String(), failures
}

func itoa(i int) string { return strconv.Itoa(i) }

// expected lists, per notebook, what its outputs must contain.
var expected = map[string][]string{
	"quickstart.ipynb": {`class="node"`, "Critic: predicted vs realised", "final test accuracy:", "| searched |", "| random |", "| reference |", "back-end:", "report:",
		"Kendall τ", "Do the shared weights rank architectures as training them alone does?", "the critic: Spearman ρ", "of the table's architectures"},
	"experiment.ipynb": {"| strategy |", "Best validation loss so far", "retrained test accuracy", "NAS-Bench-201", `class="node"`,
		"Where the picks stand among the ground truth"},
	"teaching.ipynb":   {"fuzzy ReLU", "shares", "GraphSAGE", "Action probabilities", "Gaussian", `class="node"`},
}

// requireTools finds jupyter with nbconvert and the gonb kernel; it skips the test when they are
// missing, unless GRAPHENAS_REQUIRE_NOTEBOOKS=1 (CI) makes that a failure.
func requireTools(t *testing.T) string {
	t.Helper()
	fail := t.Skipf
	if os.Getenv("GRAPHENAS_REQUIRE_NOTEBOOKS") == "1" {
		fail = t.Fatalf
	}
	jupyter := "/usr/bin/jupyter"
	if _, err := os.Stat(jupyter); err != nil {
		if jupyter, err = exec.LookPath("jupyter"); err != nil {
			fail("no jupyter: run docker/setup.sh")
		}
	}
	if out, err := exec.Command(jupyter, "nbconvert", "--version").CombinedOutput(); err != nil {
		fail("jupyter nbconvert is missing (%v: %s): run docker/setup.sh", err, out)
	}
	out, err := exec.Command(jupyter, "kernelspec", "list").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "gonb") {
		fail("the gonb kernel is not installed (%s): run docker/setup.sh", out)
	}
	return jupyter
}

// TestNotebooksRunHeadless executes every notebook in its smoke configuration with the gonb
// kernel and checks that no cell failed and that the expected outputs exist.
func TestNotebooksRunHeadless(t *testing.T) {
	if testing.Short() {
		t.Skip("notebooks take minutes")
	}
	jupyter := requireTools(t)
	out := t.TempDir()
	for name, wants := range expected {
		t.Run(strings.TrimSuffix(name, ".ipynb"), func(t *testing.T) {
			cmd := exec.Command(jupyter, "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=900",
				"--output-dir", out, name)
			cmd.Env = append(os.Environ(), "GRAPHENAS_SMOKE=1")
			if msg, err := cmd.CombinedOutput(); err != nil {
				tail := string(msg)
				if len(tail) > 4000 {
					tail = tail[len(tail)-4000:]
				}
				t.Fatalf("nbconvert --execute %s: %v\n%s", name, err, tail)
			}
			text, failures := readNotebook(t, filepath.Join(out, name)).outputs()
			for _, f := range failures {
				t.Errorf("%s: %s", name, f)
			}
			for _, w := range wants {
				if !strings.Contains(text, w) {
					t.Errorf("%s: no output contains %q", name, w)
				}
			}
		})
	}
}

// TestCommittedNotebooksHaveRealOutputs checks that the notebooks in the repository were saved
// after a full run of the default configuration: every code cell ran, nothing failed, and no
// output comes from the smoke configuration.
func TestCommittedNotebooksHaveRealOutputs(t *testing.T) {
	for name, wants := range expected {
		nb := readNotebook(t, name)
		for i, c := range nb.Cells {
			if c.CellType == "code" && c.ExecutionCount == nil {
				t.Errorf("%s: code cell %d was not run before the notebook was saved", name, i)
			}
		}
		text, failures := nb.outputs()
		for _, f := range failures {
			t.Errorf("%s: %s", name, f)
		}
		if strings.Contains(text, "-smoke") {
			t.Errorf("%s was saved from a smoke run (GRAPHENAS_SMOKE=1); save it from a full run", name)
		}
		for _, w := range wants {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the saved outputs lack %q", name, w)
			}
		}
	}
}
