package notebook

import (
	"fmt"
	"html"
	"time"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/graphenas/graphenas/graphenas/progress"
	"github.com/graphenas/graphenas/graphenas/search"
	"github.com/graphenas/graphenas/plotting"
)

// Live is an output block that is redrawn in place.
type Live struct {
	id       string
	interval time.Duration
	last     time.Time
}

// NewLive returns a live block that accepts at most one redraw per interval (0: one a second).
func NewLive(interval time.Duration) *Live {
	if interval == 0 {
		interval = time.Second
	}
	return &Live{id: "graphenas_live_" + gonbui.UniqueId(), interval: interval}
}

// Update redraws the block, unless the last redraw was less than the interval ago and force is
// false.
func (l *Live) Update(force bool, figures ...string) {
	if !force && time.Since(l.last) < l.interval {
		return
	}
	l.last = time.Now()
	gonbui.UpdateHtml(l.id, Row(figures...))
}

// Finish empties the live block and displays figures as a regular output, which the saved
// notebook keeps.
func (l *Live) Finish(figures ...string) {
	gonbui.UpdateHtml(l.id, "")
	Show(figures...)
}

// LiveFigures is what RunLive draws: a progress line, the current architecture, the curves and,
// for controller strategies, the critic.
func LiveFigures(s *search.Search, done, total int, bar *progress.Bar) []string {
	recs := s.History()
	status := ""
	if len(recs) > 0 {
		last := recs[len(recs)-1]
		status = fmt.Sprintf("val loss %.4f acc %.3f", last.ValLoss, last.ValAccuracy)
	}
	figs := []string{"<pre>" + html.EscapeString(bar.Line(done, status, time.Now())) + "</pre>"}
	if len(recs) > 0 {
		figs = append(figs, StepFigure(recs[len(recs)-1], s.Config().Supergraph.LayersPerStage))
	}
	figs = append(figs, plotting.ValLossCurve(recs), plotting.ValAccuracyCurve(recs))
	if s.Controller() != nil {
		figs = append(figs, plotting.CriticTrace(recs), plotting.CriticScatter(recs))
	}
	return figs
}

// RunLive runs n steps of s with a live view that redraws at most once a second, then leaves
// the final figures in the notebook. fn, when not nil, is called after every step.
func RunLive(s *search.Search, n int, fn func(search.StepRecord) error) error {
	live := NewLive(time.Second)
	bar := progress.New(nil, "search "+s.Config().Strategy, n)
	done := 0
	err := s.Run(n, func(r search.StepRecord) error {
		done++
		live.Update(done == n, LiveFigures(s, done, n, bar)...)
		if fn != nil {
			return fn(r)
		}
		return nil
	})
	live.Finish(LiveFigures(s, done, n, bar)...)
	return err
}
