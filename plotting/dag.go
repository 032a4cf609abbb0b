package plotting

import (
	"fmt"
	"html"
	"strings"

	"github.com/graphenas/graphenas/graphenas/arch"
)

// familyColor is the fill of a node per op family; input and output have their own.
var familyColor = map[arch.OpFamily]string{
	arch.FamilyConv:      "#4e79a7",
	arch.FamilyDepthwise: "#59a14f",
	arch.FamilyDilated:   "#b07aa1",
	arch.FamilyPool:      "#f28e2b",
}

const (
	ioColor       = "#555555"
	unusedColor   = "#d0d0d0"
	highlightLine = "#e15759"
)

// DAGOptions control DrawDAG. The zero value draws a plain DAG with a legend.
type DAGOptions struct {
	// LayersPerStage groups nodes into halving stages (node i is in stage i/L); 0 draws no stages.
	LayersPerStage int
	// Title is written above the graph.
	Title string
	// HighlightNode (≥ 0) or HighlightEdge (From < To) marks what the last action changed.
	HighlightNode int
	HighlightEdge [2]int
	// NoLegend leaves out the legend.
	NoLegend bool
}

// DrawDAG returns an SVG drawing of a: nodes left to right by index, each labelled with its op and
// coloured by op family; halving stages as bands; edges as arcs above the nodes, higher the longer
// they are, so skip edges never cross a node; nodes the output does not depend on greyed out and
// dashed. Every node is a <g class="node" data-node="i"> and every edge a <path class="edge"
// data-edge="i>j">, so the drawing can be tested and styled.
func DrawDAG(a *arch.Arch, opt DAGOptions) string {
	n := a.N()
	const (
		nodeW, nodeH = 74, 34
		gap          = 26
		marginX      = 20
	)
	step := float64(nodeW + gap)
	maxSpan := 1
	for _, e := range a.Edges() {
		maxSpan = max(maxSpan, e[1]-e[0])
	}
	arcTop := 18 + 22*float64(maxSpan) // height of the highest arc
	top := 30.0
	if opt.Title == "" {
		top = 12
	}
	nodeY := top + arcTop
	width := 2*marginX + float64(n)*step - gap
	legend := dagLegend(width - 2*marginX)
	legendH := 0.0
	if !opt.NoLegend {
		legendH = 22 + 18*float64(legend[len(legend)-1].row)
	}
	height := nodeY + nodeH + 28 + legendH
	cx := func(i int) float64 { return marginX + float64(i)*step + nodeW/2 }
	used := a.Live()

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n",
		width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	if opt.Title != "" {
		fmt.Fprintf(&b, `<text x="%.0f" y="18" font-size="14" font-weight="bold">%s</text>`+"\n", float64(marginX), html.EscapeString(opt.Title))
	}
	// Stage bands.
	if opt.LayersPerStage > 0 {
		for s := 0; s*opt.LayersPerStage < n; s++ {
			first := s * opt.LayersPerStage
			last := min(n-1, first+opt.LayersPerStage-1)
			x0 := marginX + float64(first)*step - gap/2
			x1 := marginX + float64(last)*step + nodeW + gap/2
			fill := "#f4f4f4"
			if s%2 == 1 {
				fill = "#e9eef5"
			}
			fmt.Fprintf(&b, `<rect class="stage" data-stage="%d" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n",
				s, max(x0, 0), top, x1-max(x0, 0), nodeY+nodeH+20-top, fill)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#777" font-size="10">stage %d (÷%d)</text>`+"\n",
				max(x0, 0)+4, top+12, s, 1<<s)
		}
	}
	// Edges: arcs above the node row, drawn before the nodes.
	for _, e := range a.Edges() {
		i, j := e[0], e[1]
		x0, x1 := cx(i)+8, cx(j)-8
		h := 18 + 22*float64(j-i-1)
		if j == i+1 {
			h = 0
		}
		color, w, dash := "#333", 1.4, ""
		if !used[i] || !used[j] {
			color, dash = "#bbb", ` stroke-dasharray="4 3"`
		}
		if opt.HighlightEdge[0] < opt.HighlightEdge[1] && opt.HighlightEdge == e {
			color, w = highlightLine, 3
		}
		var d string
		if h == 0 {
			d = fmt.Sprintf("M %.1f %.1f L %.1f %.1f", cx(i)+nodeW/2, nodeY+nodeH/2, cx(j)-nodeW/2, nodeY+nodeH/2)
		} else {
			d = fmt.Sprintf("M %.1f %.1f C %.1f %.1f, %.1f %.1f, %.1f %.1f", x0, nodeY, x0, nodeY-h*1.33, x1, nodeY-h*1.33, x1, nodeY)
		}
		fmt.Fprintf(&b, `<path class="edge" data-edge="%d>%d" d="%s" fill="none" stroke="%s" stroke-width="%.1f"%s marker-end="url(#arrow)"/>`+"\n",
			i, j, d, color, w, dash)
	}
	fmt.Fprintf(&b, `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>`+"\n")
	// Nodes.
	for i := 0; i < n; i++ {
		label, fill := a.Op(i).String(), ioColor
		switch {
		case i == 0:
			label = "input"
		case i == n-1:
			label = "output"
		default:
			fill = familyColor[a.Op(i).Family()]
		}
		class, stroke, strokeW, dash := "node", "none", 0.0, ""
		if !used[i] {
			class, fill, dash = "node unused", unusedColor, ` stroke-dasharray="4 3"`
			stroke, strokeW = "#999", 1
		}
		if opt.HighlightNode > 0 && opt.HighlightNode == i {
			stroke, strokeW = highlightLine, 3
		}
		x := cx(i) - nodeW/2
		fmt.Fprintf(&b, `<g class="%s" data-node="%d" data-op="%s"><title>node %d: %s%s</title>`, class, i, label, i, label, unusedNote(used[i]))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%d" height="%d" rx="6" fill="%s" stroke="%s" stroke-width="%.1f"%s/>`,
			x, nodeY, nodeW, nodeH, fill, stroke, strokeW, dash)
		textColor := "white"
		if !used[i] {
			textColor = "#666"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="%s">%s</text>`, cx(i), nodeY+nodeH/2+4, textColor, label)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#666" font-size="9">%d</text></g>`+"\n", cx(i), nodeY+nodeH+11, i)
	}
	if !opt.NoLegend {
		fmt.Fprintf(&b, `<g class="legend">`)
		for _, e := range legend {
			x, y := marginX+e.x, nodeY+nodeH+40+18*float64(e.row)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="12" height="12" rx="2" fill="%s"/><text x="%.1f" y="%.1f">%s</text>`,
				x, y-10, e.color, x+16, y, e.name)
		}
		fmt.Fprintf(&b, "</g>\n")
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func unusedNote(used bool) string {
	if used {
		return ""
	}
	return " (not on a path from the input to the output: not computed)"
}

// dagLegendEntry is one entry of the DAG's legend, placed in rows no wider than the drawing.
type dagLegendEntry struct {
	name, color string
	x           float64
	row         int
}

func dagLegend(width float64) []dagLegendEntry {
	entries := []dagLegendEntry{
		{name: "conv", color: familyColor[arch.FamilyConv]}, {name: "depthwise", color: familyColor[arch.FamilyDepthwise]},
		{name: "dilated", color: familyColor[arch.FamilyDilated]}, {name: "max-pool", color: familyColor[arch.FamilyPool]},
		{name: "input/output", color: ioColor}, {name: "not computed (off the input→output paths)", color: unusedColor},
	}
	x, row := 0.0, 0
	for i := range entries {
		w := 16 + 6.8*float64(len([]rune(entries[i].name))) + 14
		if x > 0 && x+w > width {
			x, row = 0, row+1
		}
		entries[i].x, entries[i].row = x, row
		x += w
	}
	return entries
}
