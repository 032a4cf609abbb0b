package plotting

import (
	"encoding/xml"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/graphenas/graphenas/graphenas/arch"
)

// element is a parsed SVG element with its attributes.
type element struct {
	name  string
	attrs map[string]string
}

// parseSVG checks the SVG is well-formed XML and returns its elements in order.
func parseSVG(t *testing.T, svg string) []element {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(svg))
	var out []element
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok {
			e := element{name: se.Name.Local, attrs: map[string]string{}}
			for _, a := range se.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			out = append(out, e)
		}
	}
	return out
}

func TestDrawDAG(t *testing.T) {
	// Node 2 feeds nothing that reaches the output (5): it is drawn as unused.
	a, err := arch.Parse("1:dwconv7 2:maxpool7 3:conv3 4:dilconv5 | 0>1 0>2 1>3 3>4 4>5 1>5 2>3")
	if err != nil {
		t.Fatal(err)
	}
	a.SetEdge(2, 3, false)
	svg := DrawDAG(a, DAGOptions{LayersPerStage: 4, Title: "step 7", HighlightEdge: [2]int{1, 5}})
	els := parseSVG(t, svg)
	if els[0].name != "svg" {
		t.Fatalf("root %s", els[0].name)
	}
	nodes := map[string]element{}
	var edges []string
	stages := 0
	for _, e := range els {
		if e.name == "g" && strings.HasPrefix(e.attrs["class"], "node") {
			nodes[e.attrs["data-node"]] = e
		}
		if e.name == "path" && e.attrs["class"] == "edge" {
			edges = append(edges, e.attrs["data-edge"])
		}
		if e.name == "rect" && e.attrs["class"] == "stage" {
			stages++
		}
	}
	if len(nodes) != 6 {
		t.Fatalf("%d node groups, want 6", len(nodes))
	}
	wantOps := map[string]string{"0": "input", "1": "dwconv7", "2": "maxpool7", "3": "conv3", "4": "dilconv5", "5": "output"}
	for i, op := range wantOps {
		if nodes[i].attrs["data-op"] != op {
			t.Errorf("node %s labelled %q, want %q", i, nodes[i].attrs["data-op"], op)
		}
	}
	if nodes["2"].attrs["class"] != "node unused" || nodes["3"].attrs["class"] != "node" {
		t.Errorf("unused marking: node 2 %q, node 3 %q", nodes["2"].attrs["class"], nodes["3"].attrs["class"])
	}
	if strings.Join(edges, " ") != "0>1 0>2 1>3 1>5 3>4 4>5" {
		t.Errorf("edges %v", edges)
	}
	if stages != 2 {
		t.Errorf("%d stage bands, want 2 (nodes 0–3 and 4–5)", stages)
	}
	if !strings.Contains(svg, `data-edge="1>5" d="M`) || !strings.Contains(svg, `stroke="#e15759" stroke-width="3.0"`) {
		t.Error("the highlighted edge is not marked")
	}
	for _, want := range []string{"step 7", "not computed", "max-pool"} {
		if !strings.Contains(svg, want) {
			t.Errorf("no %q in the drawing", want)
		}
	}
	// Large graphs stay well-formed.
	big := arch.Chain(32, arch.Conv5x5)
	big.SetEdge(0, 31, true)
	if n := len(parseSVG(t, DrawDAG(big, DAGOptions{LayersPerStage: 8}))); n < 32*4 {
		t.Errorf("32-node drawing has only %d elements", n)
	}
	if dir := os.Getenv("GRAPHENAS_PLOT_DIR"); dir != "" { // to look at it
		os.WriteFile(dir+"/dag.svg", []byte(svg), 0o644)
	}
}
