package graphenas

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// homes are the design documents the code refers to, at their place in the repository.
var homes = map[string]string{
	"DESIGN.md":      "graphenas/DESIGN.md",
	"GOMLX-NOTES.md": "graphenas/GOMLX-NOTES.md",
}

// TestRepositoryStandsAlone checks that nothing in the repository points outside it: no path into
// the shared folder beside the repository (where the project was started from; a clone has none), and every
// mention of the design documents names them where they live, graphenas/DESIGN.md and
// graphenas/GOMLX-NOTES.md (a Markdown link beside them may use the bare name as its target).
func TestRepositoryStandsAlone(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, home := range homes {
		if _, err := os.Stat(filepath.Join(root, home)); err != nil {
			t.Errorf("%s is missing: %v", home, err)
		}
	}
	// The shared folder written as a relative path ("..", then "shared"), or joined from parts
	// (filepath.Join(dir, "..", "shared", …)).
	outside := regexp.MustCompile(`\.\.[/]shared|\\?"shared\\?",|shared/benchmarks`)
	mention := regexp.MustCompile(`(?:[A-Za-z0-9_./-]*/)?(?:DESIGN|GOMLX-NOTES)\.md`)
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			switch d.Name() {
			case ".git", "runs", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".gz", ".png", ".bin", ".prof", ".test":
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		text := string(b)
		checked++
		if outside.MatchString(text) && rel != filepath.Join("graphenas", "repo_test.go") {
			t.Errorf("%s points outside the repository (%q)", rel, outside.FindString(text))
		}
		if rel == filepath.Join("graphenas", "repo_test.go") {
			return nil
		}
		for _, loc := range mention.FindAllStringIndex(text, -1) {
			m := text[loc[0]:loc[1]]
			name := filepath.Base(m)
			if m == homes[name] || strings.HasSuffix(m, "/"+homes[name]) {
				continue
			}
			// A relative Markdown link target beside the document: [graphenas/DESIGN.md](DESIGN.md).
			if filepath.Dir(rel) == "graphenas" && loc[0] > 0 && text[loc[0]-1] == '(' && m == name {
				continue
			}
			line := 1 + strings.Count(text[:loc[0]], "\n")
			t.Errorf("%s:%d mentions %q; the document lives at %s", rel, line, m, homes[name])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("only %d files checked from %s", checked, root)
	}
}
