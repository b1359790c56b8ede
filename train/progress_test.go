package train

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestProgress(buf *bytes.Buffer, total int, terminal bool) (*Progress, *fakeClock) {
	clock := &fakeClock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := NewProgress(buf, total, "epoch 1/2")
	p.now = clock.now
	p.start = clock.now()
	p.SetTerminal(terminal)
	return p, clock
}

func TestProgressPlain(t *testing.T) {
	var buf bytes.Buffer
	p, clock := newTestProgress(&buf, 20, false)
	for i := 1; i <= 20; i++ {
		clock.advance(time.Second)
		p.Update(i, 1/float64(i), "acc", 0.5, 100*i)
	}
	p.Finish()
	p.Finish() // idempotent
	p.Update(20, 0, "acc", 0, 0)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	// One line per tenth (2, 4, … 18 steps), then Finish's.
	if len(lines) != 10 {
		t.Fatalf("%d lines, want 10:\n%s", len(lines), buf.String())
	}
	if want := "epoch 1/2 2/20  10% loss 0.5000 acc 0.500 100 tok/s ETA 18s"; lines[0] != want {
		t.Errorf("first line %q, want %q", lines[0], want)
	}
	if want := "epoch 1/2 20/20 100% loss 0.0500 acc 0.500 100 tok/s in 20s"; lines[9] != want {
		t.Errorf("last line %q, want %q", lines[9], want)
	}
	if strings.Contains(buf.String(), "\r") {
		t.Error("plain mode wrote a carriage return")
	}
}

func TestProgressPlainSlow(t *testing.T) {
	// Steps slower than plainInterval: a line at least that often.
	var buf bytes.Buffer
	p, clock := newTestProgress(&buf, 1000, false)
	for i := 1; i <= 3; i++ {
		clock.advance(plainInterval)
		p.Update(i, 0.7, "acc", 0.5, 0)
	}
	if n := strings.Count(buf.String(), "\n"); n != 3 {
		t.Errorf("%d lines after 3 slow steps, want 3:\n%s", n, buf.String())
	}
}

func TestProgressTerminal(t *testing.T) {
	var buf bytes.Buffer
	p, clock := newTestProgress(&buf, 4, true)
	clock.advance(time.Second)
	p.Update(1, 0.9, "acc", 0.25, 50)
	p.Update(2, 0.8, "acc", 0.5, 100) // within redrawEvery: not drawn
	clock.advance(time.Second)
	p.Update(3, 0.7, "acc", 0.5, 150)
	clock.advance(time.Second)
	p.Update(4, 0.6, "acc", 0.75, 200) // the last step is always drawn
	p.Finish()
	out := buf.String()
	draws := strings.Split(out, "\r")[1:]
	if len(draws) != 4 {
		t.Fatalf("%d redraws, want 4: %q", len(draws), out)
	}
	if want := "epoch 1/2 [======>                 ] 1/4  25% loss 0.9000 acc 0.250 50 tok/s ETA 3s"; draws[0] != want {
		t.Errorf("first draw %q, want %q", draws[0], want)
	}
	if !strings.HasPrefix(draws[3], "epoch 1/2 [========================] 4/4 100% loss 0.6000 acc 0.750 67 tok/s in 3s") {
		t.Errorf("final draw %q", draws[3])
	}
	if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Errorf("terminal mode should end with exactly one newline: %q", out)
	}
}

func TestProgressTerminalClearsLongerLine(t *testing.T) {
	var buf bytes.Buffer
	p, clock := newTestProgress(&buf, 100, true)
	clock.advance(time.Second)
	p.Update(1, 1234.5678, "acc", 0.5, 1000000)
	first := buf.Len()
	buf.Reset()
	clock.advance(time.Hour) // slower now: a shorter tok/s
	p.Update(2, 1, "acc", 0.5, 1000001)
	if buf.Len() < first {
		t.Errorf("redraw of %d bytes does not cover the previous %d", buf.Len(), first)
	}
}

func TestProgressResumed(t *testing.T) {
	// The first Update reports 50 of 100 steps done: rates count from it.
	var buf bytes.Buffer
	p, clock := newTestProgress(&buf, 100, false)
	clock.advance(time.Hour) // time before the first update does not count
	p.Update(50, 0.5, "acc", 0.5, 5000)
	clock.advance(10 * time.Second)
	p.Update(60, 0.5, "acc", 0.5, 6000)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if want := "epoch 1/2 60/100  60% loss 0.5000 acc 0.500 100 tok/s ETA 40s"; lines[len(lines)-1] != want {
		t.Errorf("line %q, want %q", lines[len(lines)-1], want)
	}
}

func TestProgressSilentAndFiles(t *testing.T) {
	p := NewProgress(nil, 10, "x") // nil writer: nothing happens
	p.Update(1, 0, "acc", 0, 0)
	p.Finish()

	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if NewProgress(f, 10, "x").terminal {
		t.Error("a regular file was taken for a terminal")
	}
}
