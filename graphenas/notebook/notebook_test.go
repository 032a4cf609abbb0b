package notebook

import (
	"strings"
	"testing"

	"github.com/graphenas/graphenas/graphenas/retrain"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/search"
	"github.com/graphenas/graphenas/graphenas/space"
)

func TestStepFigure(t *testing.T) {
	r := search.StepRecord{Step: 4, Strategy: "graphenas", ArchText: "1:conv3 2:maxpool3 | 0>1 1>2 2>3", ValLoss: 1.5, ValAccuracy: 0.4,
		TrainBatches: 2, CriticMean: -0.1, CriticStd: 0.2, Delta: -0.05, Action: &space.Action{Kind: space.SetEdge, From: 1, To: 2, On: true}}
	fig := StepFigure(r, 2)
	for _, want := range []string{"step 4 (graphenas)", "critic predicted -0.100 ± 0.200", `data-edge="1&gt;2"`, `stroke="#e15759"`} {
		if !strings.Contains(fig, want) && !strings.Contains(fig, strings.ReplaceAll(want, "&gt;", ">")) {
			t.Errorf("step figure lacks %q:\n%s", want, fig)
		}
	}
	if row := Row("<svg/>", "", "<svg/>"); strings.Count(row, "<div>") != 2 || !strings.Contains(row, "flex-wrap") {
		t.Errorf("row %s", row)
	}
	if bad := StepFigure(search.StepRecord{ArchText: "nonsense"}, 2); !strings.Contains(bad, "<pre>") {
		t.Errorf("a bad architecture should show its error: %s", bad)
	}
}

// TestRetrainComparisonMarkdown checks the side-by-side table: one row per candidate with its
// accuracy as a percentage and its architecture with the pipe escaped.
func TestRetrainComparisonMarkdown(t *testing.T) {
	a, _ := arch.Parse("1:conv3 2:maxpool3 | 0>1 1>2 2>3")
	cands := []retrain.Candidate{{Name: "searched", Arch: a}, {Name: "random", Arch: a}}
	res := []retrain.Result{{Arch: a.String(), TestAccuracy: 0.8123, TestLoss: 0.5, Params: 1200, Seconds: 61},
		{Arch: a.String(), TestAccuracy: 0.7, Params: 900, Seconds: 58}}
	md := RetrainComparisonMarkdown(cands, res)
	for _, want := range []string{"| searched | 81.23% | 0.5000 | 1200 | 61 |", "| random | 70.00% |", `1:conv3 2:maxpool3 \| 0>1`} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
}
