package plotting

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/graphenas/graphenas/graphenas/ckpt"
	"github.com/graphenas/graphenas/graphenas/rank"
)

// RankFile is the ranking measurement `graphenas rank` writes in a run directory.
const RankFile = "rank.json"

// RankScatter draws each ground-truth architecture's shared-weight accuracy (x) against its
// accuracy trained alone (y), one colour per batch-norm mode, with each mode's Kendall τ.
func RankScatter(r *rank.Result) string {
	var series []Series
	var notes []string
	for k, a := range r.Agreements {
		var xs, ys []float64
		for _, p := range r.Points {
			xs, ys = append(xs, 100*p.Scores[a.Mode].Accuracy), append(ys, 100*p.Truth)
		}
		series = append(series, Series{Name: string(a.Mode) + " batch-norm statistics", X: xs, Y: ys, Points: true, Color: Palette[k%len(Palette)], Opacity: 0.8})
		notes = append(notes, fmt.Sprintf("%s: Kendall τ %.2f ± %.2f, top-10%% %.2f (n = %d)", a.Mode, a.Tau, a.TauSE, a.Top10, a.N))
	}
	return Chart{Title: "Do the shared weights rank architectures as training them alone does?", Width: 640, Height: 420,
		XLabel: "shared-weight validation accuracy (%)", YLabel: "ground-truth test accuracy (%)", Notes: notes, Series: series}.SVG()
}

// readRank reads a run directory's rank.json; nil when there is none or it is unreadable.
func readRank(dir string) *rank.Result {
	raw, err := ckpt.ReadFile(filepath.Join(dir, RankFile), 64<<20, ckpt.NoFollow)
	if err != nil {
		return nil
	}
	var r rank.Result
	if json.Unmarshal(raw, &r) != nil || len(r.Agreements) == 0 || len(r.Points) == 0 {
		return nil
	}
	for _, a := range r.Agreements {
		if _, ok := r.Points[0].Scores[a.Mode]; !ok {
			return nil
		}
	}
	return &r
}
