package plotting

import (
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/search"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

// probeScript measures every SVG of the page and writes the sizes into the document, so that
// --dump-dom shows what the browser laid out.
const probeScript = `<script>
const boxes = [...document.querySelectorAll("svg")].map(s => { const r = s.getBoundingClientRect();
  const inner = s.querySelectorAll("path, rect, circle, text, polygon").length; return [r.width, r.height, inner]; });
const pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = JSON.stringify(boxes);
document.body.appendChild(pre);
</script>`

// TestReportInChromium renders the HTML report of a small real run in headless Chromium: the
// page is not blank, and every SVG has a non-zero size and content.
func TestReportInChromium(t *testing.T) {
	if _, err := FindChromium(); err != nil {
		if os.Getenv("GRAPHENAS_REQUIRE_BROWSER") == "1" {
			t.Fatalf("%v (docker/setup.sh installs it)", err)
		}
		t.Skipf("%v (docker/setup.sh installs it)", err)
	}
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s, err := search.Create(b, data.SyntheticDataset(300, 64, 8, 8, 1, 4, 3), search.Config{Seed: 2, EvalBatches: 1,
		Budget: supergraph.BatchBudget(1), Supergraph: supergraph.Config{Nodes: 5, Channels: 4, LayersPerStage: 2, BatchSize: 16, LearningRate: 0.05}}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(15, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	report, err := WriteRunReport(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "report.png")
	if err := Screenshot(report, shot, 1280, 1600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if v, nonWhite := pixelStats(img); v < 100 || nonWhite < 0.03 {
		t.Errorf("the rendered report looks blank: luminance variance %.1f, %.1f%% non-white pixels", v, 100*nonWhite)
	}

	raw, _ := os.ReadFile(report)
	probe := filepath.Join(dir, "probe.html")
	os.WriteFile(probe, []byte(strings.Replace(string(raw), "</body>", probeScript+"</body>", 1)), 0o644)
	dom, err := DumpDOM(probe)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`<pre id="probe">([^<]*)</pre>`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the probe did not run; DOM:\n%.2000s", dom)
	}
	var boxes [][3]float64
	if err := json.Unmarshal([]byte(m[1]), &boxes); err != nil {
		t.Fatal(err)
	}
	if want := strings.Count(string(raw), "<svg"); len(boxes) != want || want < 8 {
		t.Fatalf("%d SVGs laid out, the report has %d", len(boxes), want)
	}
	for i, bx := range boxes {
		if bx[0] <= 0 || bx[1] <= 0 || bx[2] < 3 {
			t.Errorf("SVG %d: %v × %v pixels, %v shapes", i, bx[0], bx[1], bx[2])
		}
	}
}

// pixelStats returns the variance of the luminance and the share of pixels that are not white.
func pixelStats(img image.Image) (variance, nonWhite float64) {
	var sum, sum2 float64
	n, dark := 0, 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y += 2 {
		for x := bounds.Min.X; x < bounds.Max.X; x += 2 {
			r, g, b, _ := img.At(x, y).RGBA()
			l := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)) / 257
			sum, sum2, n = sum+l, sum2+l*l, n+1
			if l < 245 {
				dark++
			}
		}
	}
	mean := sum / float64(n)
	return sum2/float64(n) - mean*mean, float64(dark) / float64(n)
}
