package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestLine(t *testing.T) {
	b := New(&bytes.Buffer{}, "search", 10)
	got := b.Line(4, "loss 0.5", b.start.Add(40*time.Second))
	want := "search [########............] 4/10 loss 0.5 40s ETA 1m00s"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// A bar made when 50 of 100 units were done: 10 more in 10 s leave 40 s, and no ETA before.
	late := New(&bytes.Buffer{}, "retrain", 100).From(50)
	if got := late.Line(50, "", late.start); strings.Contains(got, "ETA") {
		t.Errorf("a late bar guessed an ETA from nothing: %q", got)
	}
	if got := late.Line(60, "", late.start.Add(10*time.Second)); !strings.HasSuffix(got, " 10s ETA 40s") {
		t.Errorf("a late bar's ETA: %q", got)
	}
	if got := New(nil, "x", 0).Line(3, "", time.Now()); !strings.HasPrefix(got, "x 3 ") || strings.Contains(got, "ETA") {
		t.Errorf("unknown total: %q", got)
	}
}

func TestPlainLinesAreThrottled(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, "run", 3)
	b.Update(1, "")
	b.Update(2, "") // within Interval: dropped
	b.Update(3, "") // the last one always prints
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "3/3") {
		t.Errorf("lines %q", lines)
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{5 * time.Second: "5s", 185 * time.Second: "3m05s", 3720 * time.Second: "1h02m"} {
		if got := Duration(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}
