package plotting

import (
	"fmt"
	"html"
	"math"
	"strings"
	"sync/atomic"
)

// clipIDs numbers the clip paths, which must be unique within an HTML page of several charts.
var clipIDs atomic.Int64

// Palette is the colour cycle of series without a colour of their own (Tableau 10).
var Palette = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

// Series is one line (or set of points) of a Chart.
type Series struct {
	// Name goes into the legend.
	Name string
	// X and Y are the data; values that are NaN or infinite are skipped (and the chart says how
	// many). Lo and Hi, when set (same length), draw a band around the line.
	X, Y, Lo, Hi []float64
	// Color (default: the palette), Width of the line (default 1.5), Dashed, and Points to draw
	// markers instead of a line (a scatter plot).
	Color  string
	Width  float64
	Dashed bool
	Points bool
	// Opacity of the line or markers (default 1).
	Opacity float64
}

// Chart is an x–y chart rendered as SVG by SVG.
type Chart struct {
	Title, XLabel, YLabel string
	// Width and Height in pixels (default 600 × 320).
	Width, Height int
	Series        []Series
	// Notes are lines of text written in the top-left corner of the plot (e.g. a correlation).
	Notes []string
	// Diagonal draws the line y = x (predicted against realised).
	Diagonal bool
	// ZeroLine draws y = 0.
	ZeroLine bool
}

// axisRange is the data range of one axis.
type axisRange struct{ min, max float64 }

func (r *axisRange) add(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	r.min, r.max = math.Min(r.min, v), math.Max(r.max, v)
}

func (r axisRange) empty() bool { return r.min > r.max }

// pad widens a degenerate or tight range a little so the data do not sit on the frame.
func (r axisRange) pad() axisRange {
	if r.min == r.max {
		d := math.Max(math.Abs(r.min)*0.1, 0.5)
		return axisRange{r.min - d, r.max + d}
	}
	d := (r.max - r.min) * 0.04
	return axisRange{r.min - d, r.max + d}
}

// ticks returns about n round tick values inside r.
func ticks(r axisRange, n int) []float64 {
	span := r.max - r.min
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(r.min/step) * step; v <= r.max+step*1e-9; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}

// formatTick writes a tick value compactly.
func formatTick(v float64) string {
	a := math.Abs(v)
	switch {
	case v == 0:
		return "0"
	case a >= 1e5 || a < 1e-3:
		return fmt.Sprintf("%.1e", v)
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	default:
		s := fmt.Sprintf("%.3f", v)
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		return s
	}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// SVG renders the chart. Empty data give a valid figure that says "no data yet"; non-finite
// values are skipped and counted in a note. The axes are <g class="axis x|y"> with data-min and
// data-max attributes holding their ranges; every series is a <g class="series" data-name=...>.
func (c Chart) SVG() string {
	w, h := c.Width, c.Height
	if w == 0 {
		w = 600
	}
	if h == 0 {
		h = 320
	}
	const left, right, bottom = 64.0, 16.0, 44.0
	top := 28.0
	if c.Title == "" {
		top = 14
	}
	xr, yr := axisRange{math.Inf(1), math.Inf(-1)}, axisRange{math.Inf(1), math.Inf(-1)}
	skipped := 0
	for _, s := range c.Series {
		for i := range s.X {
			if i >= len(s.Y) {
				break
			}
			if !finite(s.X[i]) || !finite(s.Y[i]) {
				skipped++
				continue
			}
			xr.add(s.X[i])
			yr.add(s.Y[i])
			if len(s.Lo) == len(s.X) && len(s.Hi) == len(s.X) {
				yr.add(s.Lo[i])
				yr.add(s.Hi[i])
			}
		}
	}
	legendRows := legendLayout(c.Series, float64(w)-left-right)
	legendH := 16 * float64(len(legendRows))
	plotW, plotH := float64(w)-left-right, float64(h)-top-bottom-legendH

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", w, h, w, h)
	b.WriteString(`<rect width="100%" height="100%" fill="white"/>` + "\n")
	if c.Title != "" {
		fmt.Fprintf(&b, `<text class="title" x="%.0f" y="18" font-size="13" font-weight="bold">%s</text>`+"\n", left, html.EscapeString(c.Title))
	}
	fmt.Fprintf(&b, `<rect class="frame" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#999"/>`+"\n", left, top, plotW, plotH)
	if xr.empty() || yr.empty() {
		fmt.Fprintf(&b, `<text class="nodata" x="%.1f" y="%.1f" text-anchor="middle" fill="#777" font-size="14">no data yet</text>`+"\n",
			left+plotW/2, top+plotH/2)
		if skipped > 0 {
			fmt.Fprintf(&b, `<text class="note" x="%.1f" y="%.1f" text-anchor="middle" fill="#777">%d non-finite values skipped</text>`+"\n",
				left+plotW/2, top+plotH/2+18, skipped)
		}
		b.WriteString("</svg>\n")
		return b.String()
	}
	xr, yr = xr.pad(), yr.pad()
	if c.Diagonal { // make both axes cover both ranges, so y = x is the diagonal
		lo, hi := math.Min(xr.min, yr.min), math.Max(xr.max, yr.max)
		xr, yr = axisRange{lo, hi}, axisRange{lo, hi}
	}
	px := func(x float64) float64 { return left + (x-xr.min)/(xr.max-xr.min)*plotW }
	py := func(y float64) float64 { return top + plotH - (y-yr.min)/(yr.max-yr.min)*plotH }

	// Axes, grid and labels.
	fmt.Fprintf(&b, `<g class="axis x" data-min="%g" data-max="%g">`, xr.min, xr.max)
	for _, t := range ticks(xr, 6) {
		x := px(t)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/><text x="%.1f" y="%.1f" text-anchor="middle" fill="#444">%s</text>`,
			x, top, x, top+plotH, x, top+plotH+14, formatTick(t))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#222">%s</text></g>`+"\n", left+plotW/2, top+plotH+32, html.EscapeString(c.XLabel))
	fmt.Fprintf(&b, `<g class="axis y" data-min="%g" data-max="%g">`, yr.min, yr.max)
	for _, t := range ticks(yr, 5) {
		y := py(t)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/><text x="%.1f" y="%.1f" text-anchor="end" fill="#444">%s</text>`,
			left, y, left+plotW, y, left-5, y+4, formatTick(t))
	}
	fmt.Fprintf(&b, `<text transform="translate(14 %.1f) rotate(-90)" text-anchor="middle" fill="#222">%s</text></g>`+"\n", top+plotH/2, html.EscapeString(c.YLabel))
	clip := fmt.Sprintf("plot%d", clipIDs.Add(1))
	fmt.Fprintf(&b, `<clipPath id="%s"><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f"/></clipPath>`, clip, left, top, plotW, plotH)
	if c.ZeroLine && yr.min < 0 && yr.max > 0 {
		fmt.Fprintf(&b, `<line class="zero" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#888" stroke-dasharray="3 3"/>`+"\n", left, py(0), left+plotW, py(0))
	}
	if c.Diagonal {
		fmt.Fprintf(&b, `<line class="diagonal" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#888" stroke-dasharray="4 4"/>`+"\n",
			px(xr.min), py(xr.min), px(xr.max), py(xr.max))
	}
	for k, s := range c.Series {
		color := s.Color
		if color == "" {
			color = Palette[k%len(Palette)]
		}
		opacity := s.Opacity
		if opacity == 0 {
			opacity = 1
		}
		width := s.Width
		if width == 0 {
			width = 1.5
		}
		fmt.Fprintf(&b, `<g class="series" data-name="%s" clip-path="url(#%s)">`, html.EscapeString(s.Name), clip)
		if len(s.Lo) == len(s.X) && len(s.Hi) == len(s.X) && len(s.X) > 0 {
			// One vertex per pixel column and side (the band's widest extent there): a run of
			// 50,000 steps draws as many vertices as the chart has columns.
			var cols []bandColumn
			for i := range s.X {
				if i < len(s.Y) && finite(s.X[i]) && finite(s.Lo[i]) && finite(s.Hi[i]) {
					x, lo, hi := px(s.X[i]), py(s.Lo[i]), py(s.Hi[i])
					if n := len(cols); n > 0 && sameColumn(cols[n-1].x, x) {
						cols[n-1].lo, cols[n-1].hi = math.Max(cols[n-1].lo, lo), math.Min(cols[n-1].hi, hi)
						continue
					}
					cols = append(cols, bandColumn{x, lo, hi})
				}
			}
			up, down := make([]string, len(cols)), make([]string, len(cols))
			for i, c := range cols {
				up[i] = fmt.Sprintf("%.1f,%.1f", c.x, c.hi)
				down[len(cols)-1-i] = fmt.Sprintf("%.1f,%.1f", c.x, c.lo)
			}
			if len(up) > 0 {
				fmt.Fprintf(&b, `<polygon class="band" points="%s %s" fill="%s" fill-opacity="0.18" stroke="none"/>`, strings.Join(up, " "), strings.Join(down, " "), color)
			}
		}
		if s.Points {
			drawn := map[[2]int]bool{} // a marker on a pixel already marked adds nothing
			for i := range s.X {
				if i < len(s.Y) && finite(s.X[i]) && finite(s.Y[i]) {
					x, y := px(s.X[i]), py(s.Y[i])
					if at := [2]int{int(math.Round(x)), int(math.Round(y))}; !drawn[at] {
						drawn[at] = true
						fmt.Fprintf(&b, `<circle class="point" cx="%.1f" cy="%.1f" r="3" fill="%s" fill-opacity="%.2f"/>`, x, y, color, 0.75*opacity)
					}
				}
			}
		} else {
			d := linePath(s, px, py)
			dash := ""
			if s.Dashed {
				dash = ` stroke-dasharray="5 3"`
			}
			if d.Len() > 0 {
				fmt.Fprintf(&b, `<path class="line" d="%s" fill="none" stroke="%s" stroke-width="%.1f" stroke-opacity="%.2f"%s/>`,
					strings.TrimSpace(d.String()), color, width, opacity, dash)
			}
		}
		b.WriteString("</g>\n")
	}
	notes := c.Notes
	if skipped > 0 {
		notes = append(append([]string(nil), notes...), fmt.Sprintf("%d non-finite values skipped", skipped))
	}
	for i, n := range notes {
		fmt.Fprintf(&b, `<text class="note" x="%.1f" y="%.1f" fill="#333">%s</text>`+"\n", left+8, top+16+15*float64(i), html.EscapeString(n))
	}
	// Legend rows under the x label.
	y := top + plotH + 50
	for _, row := range legendRows {
		for _, e := range row {
			s := c.Series[e.index]
			color := s.Color
			if color == "" {
				color = Palette[e.index%len(Palette)]
			}
			fmt.Fprintf(&b, `<g class="legend-entry"><rect x="%.1f" y="%.1f" width="14" height="4" fill="%s"/><text x="%.1f" y="%.1f">%s</text></g>`,
				left+e.x, y-6, color, left+e.x+18, y, html.EscapeString(s.Name))
		}
		b.WriteString("\n")
		y += 16
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// bandColumn is a band's extent in one pixel column (y grows downwards: lo ≥ hi).
type bandColumn struct{ x, lo, hi float64 }

// sameColumn reports whether two x positions fall in one pixel column.
func sameColumn(a, b float64) bool { return math.Floor(a) == math.Floor(b) }

// linePath returns the SVG path of a line series: within one pixel column only the first, the
// lowest, the highest and the last point are kept, in their order, so the line looks the same and
// its size is bounded by the chart's width, not by the length of the run; a non-finite value
// leaves a gap.
func linePath(s Series, px, py func(float64) float64) *strings.Builder {
	var d strings.Builder
	type pt struct{ x, y float64 }
	var col []pt // the current column's points
	pen := false
	flush := func() {
		if len(col) == 0 {
			return
		}
		keep := []int{0}
		lo, hi := 0, 0
		for i, p := range col {
			if p.y > col[lo].y {
				lo = i
			}
			if p.y < col[hi].y {
				hi = i
			}
		}
		for _, i := range []int{min(lo, hi), max(lo, hi), len(col) - 1} {
			if i != keep[len(keep)-1] {
				keep = append(keep, i)
			}
		}
		for _, i := range keep {
			cmd := "L"
			if !pen {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f %.1f ", cmd, col[i].x, col[i].y)
			pen = true
		}
		col = col[:0]
	}
	for i := range s.X {
		if i >= len(s.Y) || !finite(s.X[i]) || !finite(s.Y[i]) {
			flush()
			pen = false // a gap where values are missing
			continue
		}
		p := pt{px(s.X[i]), py(s.Y[i])}
		if len(col) > 0 && !sameColumn(col[0].x, p.x) {
			flush()
		}
		col = append(col, p)
	}
	flush()
	return &d
}

type legendEntry struct {
	index int
	x     float64
}

// legendLayout places the named series' legend entries in rows no wider than width.
func legendLayout(series []Series, width float64) [][]legendEntry {
	var rows [][]legendEntry
	var row []legendEntry
	x := 0.0
	for i, s := range series {
		if s.Name == "" {
			continue
		}
		w := 18 + 6.2*float64(len([]rune(s.Name))) + 16
		if x > 0 && x+w > width {
			rows, row, x = append(rows, row), nil, 0
		}
		row = append(row, legendEntry{index: i, x: x})
		x += w
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return rows
}

// HeatMap is a grid of values (rows × columns) coloured from white to Color, e.g. how many
// nodes use each op (rows) at each step (columns).
type HeatMap struct {
	Title, XLabel string
	RowLabels     []string
	// Values[r][c]; NaN cells are left blank. X[c] labels the columns (default: c).
	Values [][]float64
	X      []float64
	Color  string
	// Width in pixels (default 600); the height follows from the rows.
	Width int
}

// SVG renders the heat map; each cell is a <rect class="cell" data-row data-col data-value>.
func (m HeatMap) SVG() string {
	w := m.Width
	if w == 0 {
		w = 600
	}
	const left, right, rowH = 80.0, 16.0, 16.0
	top := 28.0
	if m.Title == "" {
		top = 10
	}
	cols := 0
	maxV := 0.0
	for _, row := range m.Values {
		cols = max(cols, len(row))
		for _, v := range row {
			if finite(v) {
				maxV = math.Max(maxV, v)
			}
		}
	}
	plotW := float64(w) - left - right
	h := top + rowH*float64(len(m.RowLabels)) + 40
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="heatmap" width="%d" height="%.0f" viewBox="0 0 %d %.0f" font-family="sans-serif" font-size="11">`+"\n", w, h, w, h)
	b.WriteString(`<rect width="100%" height="100%" fill="white"/>` + "\n")
	if m.Title != "" {
		fmt.Fprintf(&b, `<text class="title" x="%.0f" y="18" font-size="13" font-weight="bold">%s</text>`+"\n", left, html.EscapeString(m.Title))
	}
	if cols == 0 {
		fmt.Fprintf(&b, `<text class="nodata" x="%.1f" y="%.1f" text-anchor="middle" fill="#777" font-size="14">no data yet</text></svg>`+"\n", left+plotW/2, top+20)
		return b.String()
	}
	color := m.Color
	if color == "" {
		color = "#4e79a7"
	}
	cw := plotW / float64(cols)
	for r, label := range m.RowLabels {
		y := top + float64(r)*rowH
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" fill="#333">%s</text>`, left-5, y+rowH-4, html.EscapeString(label))
		if r >= len(m.Values) {
			continue
		}
		for c, v := range m.Values[r] {
			if !finite(v) {
				continue
			}
			op := 0.0
			if maxV > 0 {
				op = v / maxV
			}
			fmt.Fprintf(&b, `<rect class="cell" data-row="%d" data-col="%d" data-value="%g" x="%.2f" y="%.1f" width="%.2f" height="%.1f" fill="%s" fill-opacity="%.3f"/>`,
				r, c, v, left+float64(c)*cw, y, cw+0.05, rowH-1, color, op)
		}
		b.WriteString("\n")
	}
	yAxis := top + rowH*float64(len(m.RowLabels))
	fmt.Fprintf(&b, `<g class="axis x" data-min="0" data-max="%d">`, cols-1)
	for _, t := range ticks(axisRange{0, float64(cols - 1)}.pad(), 6) {
		if t < 0 || t > float64(cols-1) {
			continue
		}
		label := formatTick(t)
		if int(t) < len(m.X) {
			label = formatTick(m.X[int(t)])
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#444">%s</text>`, left+(t+0.5)*cw, yAxis+14, label)
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#222">%s</text></g>`+"\n", left+plotW/2, yAxis+32, html.EscapeString(m.XLabel))
	fmt.Fprintf(&b, `<text class="note" x="%.1f" y="%.1f" text-anchor="end" fill="#555">darkest = %s</text>`+"\n", float64(w)-right, yAxis+32, formatTick(maxV))
	b.WriteString("</svg>\n")
	return b.String()
}

// BarChart is one bar per label, e.g. the probability of every action.
type BarChart struct {
	Title, YLabel string
	Labels        []string
	Values        []float64
	// Color of the bars (default the first palette colour); Highlight, when ≥ 0, the index of a
	// bar drawn in red.
	Color     string
	Highlight int
	// YMin is the bottom of the value axis (default 0), to compare values that differ little.
	YMin float64
	// Width in pixels (default: 22 per bar, at least 400); Height default 300.
	Width, Height int
}

// SVG renders the chart; each bar is a <rect class="bar" data-label data-value>.
func (c BarChart) SVG() string {
	n := len(c.Labels)
	w, h := c.Width, c.Height
	if w == 0 {
		w = max(400, 80+22*n)
	}
	if h == 0 {
		h = 300
	}
	const left, right, bottom = 56.0, 12.0, 90.0
	top := 28.0
	plotW, plotH := float64(w)-left-right, float64(h)-top-bottom
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="barchart" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="10">`+"\n", w, h, w, h)
	b.WriteString(`<rect width="100%" height="100%" fill="white"/>` + "\n")
	if c.Title != "" {
		fmt.Fprintf(&b, `<text class="title" x="%.0f" y="18" font-size="13" font-weight="bold">%s</text>`+"\n", left, html.EscapeString(c.Title))
	}
	maxV := 0.0
	for _, v := range c.Values {
		if finite(v) {
			maxV = math.Max(maxV, v)
		}
	}
	if n == 0 || maxV <= c.YMin {
		fmt.Fprintf(&b, `<text class="nodata" x="%.1f" y="%.1f" text-anchor="middle" fill="#777" font-size="14">no data yet</text></svg>`+"\n", left+plotW/2, top+plotH/2)
		return b.String()
	}
	yr := axisRange{c.YMin, maxV + (maxV-c.YMin)*0.05}
	py := func(v float64) float64 { return top + plotH - (math.Max(v, yr.min)-yr.min)/(yr.max-yr.min)*plotH }
	fmt.Fprintf(&b, `<g class="axis y" data-min="%g" data-max="%g">`, yr.min, yr.max)
	for _, t := range ticks(yr, 4) {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/><text x="%.1f" y="%.1f" text-anchor="end" fill="#444">%s</text>`,
			left, py(t), left+plotW, py(t), left-5, py(t)+4, formatTick(t))
	}
	fmt.Fprintf(&b, `<text transform="translate(14 %.1f) rotate(-90)" text-anchor="middle" fill="#222" font-size="11">%s</text></g>`+"\n", top+plotH/2, html.EscapeString(c.YLabel))
	bw := plotW / float64(n)
	color := c.Color
	if color == "" {
		color = Palette[0]
	}
	for i, label := range c.Labels {
		v := 0.0
		if i < len(c.Values) && finite(c.Values[i]) {
			v = c.Values[i]
		}
		fill := color
		if i == c.Highlight && c.Highlight >= 0 {
			fill = "#e15759"
		}
		x := left + float64(i)*bw
		fmt.Fprintf(&b, `<rect class="bar" data-label="%s" data-value="%g" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`,
			html.EscapeString(label), v, x+bw*0.1, py(v), bw*0.8, top+plotH-py(v), fill)
		fmt.Fprintf(&b, `<text transform="translate(%.1f %.1f) rotate(-60)" text-anchor="end" fill="#333">%s</text>`+"\n",
			x+bw/2+3, top+plotH+8, html.EscapeString(label))
	}
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999"/>`+"\n", left, top+plotH, left+plotW, top+plotH)
	b.WriteString("</svg>\n")
	return b.String()
}

// Gaussian draws the density of N(mean, std²) with the observed value marked and the Gaussian
// negative log-likelihood of that value written on it (the critic's loss for one transition).
func Gaussian(title string, mean, std, observed float64) string {
	nll := 0.5*math.Log(2*math.Pi*std*std) + (observed-mean)*(observed-mean)/(2*std*std)
	lo, hi := math.Min(mean-4*std, observed-std), math.Max(mean+4*std, observed+std)
	var xs, ys []float64
	for i := 0; i <= 200; i++ {
		x := lo + (hi-lo)*float64(i)/200
		xs = append(xs, x)
		ys = append(ys, math.Exp(-(x-mean)*(x-mean)/(2*std*std))/(std*math.Sqrt(2*math.Pi)))
	}
	peak := 1 / (std * math.Sqrt(2*math.Pi))
	return Chart{Title: title, XLabel: "return", YLabel: "density",
		Notes: []string{fmt.Sprintf("predicted N(%.3f, %.3f²); observed %.3f", mean, std, observed),
			fmt.Sprintf("NLL = ½·log(2πσ²) + (x−μ)²/(2σ²) = %.3f", nll)},
		Series: []Series{{Name: "critic's Gaussian", X: xs, Y: ys, Color: "#4e79a7", Width: 2},
			{Name: "observed return", X: []float64{observed, observed}, Y: []float64{0, peak}, Color: "#e15759", Width: 2.5}}}.SVG()
}
