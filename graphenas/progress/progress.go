// Package progress draws a progress bar for long work: on a terminal one line redrawn in place,
// elsewhere (logs, CI, notebooks) a plain line at most every Interval, so logs stay short.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Bar reports the progress of Total units of work.
type Bar struct {
	// Label starts the line, e.g. "search graphenas seed 1".
	Label string
	// Total is the number of units; 0 means unknown (no bar, no ETA).
	Total int
	// Interval is the least time between two plain lines (default 10 s; a terminal redraws at
	// most 10 times a second).
	Interval time.Duration

	w        io.Writer
	terminal bool
	from     int // units done when the bar started (see From)
	start    time.Time
	last     time.Time
	width    int
}

// New returns a bar writing to w (os.Stderr when nil).
func New(w io.Writer, label string, total int) *Bar {
	if w == nil {
		w = os.Stderr
	}
	b := &Bar{Label: label, Total: total, Interval: 10 * time.Second, w: w, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			b.terminal = true
		}
	}
	return b
}

// From says that done units were already finished when the bar was made (a bar made at the
// first report of work under way, or of a resumed run): its ETA then comes from the pace since,
// not from those units, which took no time on this bar's clock. It returns b.
func (b *Bar) From(done int) *Bar {
	b.from = done
	return b
}

// Update reports that done units are finished, with a status such as "loss 0.41 acc 0.86".
func (b *Bar) Update(done int, status string) {
	now := time.Now()
	final := b.Total > 0 && done >= b.Total
	gap := b.Interval
	if b.terminal {
		gap = 100 * time.Millisecond
	}
	if !final && !b.last.IsZero() && now.Sub(b.last) < gap {
		return
	}
	b.last = now
	line := b.Line(done, status, now)
	if b.terminal {
		pad := ""
		if n := len(line); n < b.width {
			pad = strings.Repeat(" ", b.width-n)
		}
		b.width = len(line)
		fmt.Fprintf(b.w, "\r%s%s", line, pad)
		if final {
			fmt.Fprintln(b.w)
		}
		return
	}
	fmt.Fprintln(b.w, line)
}

// Line formats the bar for done units at time now.
func (b *Bar) Line(done int, status string, now time.Time) string {
	elapsed := now.Sub(b.start)
	var sb strings.Builder
	sb.WriteString(b.Label)
	if b.Total > 0 {
		frac := min(1, float64(done)/float64(b.Total))
		const width = 20
		filled := int(frac * width)
		fmt.Fprintf(&sb, " [%s%s] %d/%d", strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, b.Total)
	} else {
		fmt.Fprintf(&sb, " %d", done)
	}
	if status != "" {
		sb.WriteString(" " + status)
	}
	fmt.Fprintf(&sb, " %s", Duration(elapsed))
	if b.Total > 0 && done > b.from && done < b.Total {
		eta := time.Duration(float64(elapsed) / float64(done-b.from) * float64(b.Total-done))
		fmt.Fprintf(&sb, " ETA %s", Duration(eta))
	}
	return sb.String()
}

// Duration formats d as 1h02m, 3m05s or 12s.
func Duration(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	switch {
	case s >= 3600:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	case s >= 60:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	default:
		return fmt.Sprintf("%ds", s)
	}
}

// Event is one report of long work under way, the one shape every long-running part of GraphEnas
// reports in (a search's steps, a retraining's batches and test, a comparison's runs, the ground
// truth's architectures): which run, which phase of it, how far, and a short status.
type Event struct {
	// Run names what is running, e.g. "graphenas-walk seed 3" or "a0012 seed 1"; empty when only
	// one thing runs.
	Run string `json:"run,omitempty"`
	// Phase is the kind of work: "search", "retrain", "test", "replay", "ground truth", …
	Phase string `json:"phase"`
	// Done of Total units (steps, batches, images, architectures); Total 0 when unknown.
	Done  int `json:"done"`
	Total int `json:"total"`
	// Status is a short text such as "loss 0.41 acc 0.86".
	Status string `json:"status,omitempty"`
}

// Func receives progress events; it may be called from several goroutines at once.
type Func func(Event)

// Bars draws one bar per (run, phase) of the events it receives, each made at its first event
// (so that its ETA counts from there). Several runs at once each draw plain lines.
type Bars struct {
	// Interval is the least time between two plain lines of a bar (Bar.Interval; default 10 s).
	Interval time.Duration

	w    io.Writer
	mu   sync.Mutex
	bars map[[2]string]*Bar
}

// NewBars returns bars writing to w (os.Stderr when nil).
func NewBars(w io.Writer) *Bars { return &Bars{w: w, bars: map[[2]string]*Bar{}} }

// Report draws e; it is a Func.
func (bs *Bars) Report(e Event) {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	key := [2]string{e.Run, e.Phase}
	b := bs.bars[key]
	if b == nil {
		label := e.Phase
		if e.Run != "" {
			label += " " + e.Run
		}
		b = New(bs.w, label, e.Total).From(e.Done)
		if bs.Interval > 0 {
			b.Interval = bs.Interval
		}
		bs.bars[key] = b
	}
	b.Update(e.Done, e.Status)
}
