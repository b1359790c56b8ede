package train

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// Progress reports how far a long loop (an epoch) has got. On a terminal
// it redraws one line in place:
//
//	epoch 2/5 [=========>              ] 230/567  40% loss 0.6931 acc 0.512 18342 tok/s ETA 1m23s
//
// Elsewhere (a log file, a pipe) it writes the same facts as plain lines,
// one each time another tenth of the work is done or 30 seconds have passed
// since the last, and a last line from Finish.
// Rates and the ETA are measured from NewProgress, or from the first Update
// when that reports more than one step done (a resumed epoch).
type Progress struct {
	w        io.Writer
	total    int
	label    string
	terminal bool
	now      func() time.Time // time.Now; tests replace it

	start        time.Time // of the rate measurement
	startDone    int
	startTokens  int
	updated      bool
	done, tokens int
	loss         float64
	score        string // the name of the score shown, "" for none
	value        float64
	lastDraw     time.Time // terminal: of the last redraw
	lastWidth    int       // terminal: of the last line drawn
	lastLine     time.Time // plain: of the last line written
	lastTenth    int       // plain: tenths of total reported
	finished     bool
}

const (
	plainInterval = 30 * time.Second       // longest silence in plain mode
	redrawEvery   = 100 * time.Millisecond // shortest interval between redraws
	barWidth      = 24
)

// NewProgress returns a reporter of a loop of total steps to w, each line
// starting with label. A nil w makes a silent reporter. The bar is drawn
// when w is an *os.File on a terminal; SetTerminal overrides that.
func NewProgress(w io.Writer, total int, label string) *Progress {
	p := &Progress{w: w, total: total, label: label, now: time.Now}
	if f, ok := w.(*os.File); ok {
		p.terminal = term.IsTerminal(int(f.Fd()))
	}
	p.start = p.now()
	return p
}

// SetTerminal chooses the redrawn bar (true) or plain lines (false).
func (p *Progress) SetTerminal(on bool) { p.terminal = on }

// Update records that done of the total steps are finished, with the mean
// loss so far, a score so far (its name and value; "" for none) and the
// number of tokens processed so far, and reports them if it is time to.
func (p *Progress) Update(done int, loss float64, score string, value float64, tokens int) {
	if p.w == nil || p.finished {
		return
	}
	now := p.now()
	if !p.updated {
		p.updated = true
		p.lastLine = p.start
		if done > 1 { // resumed mid-epoch: measure from here
			p.start, p.startDone, p.startTokens = now, done, tokens
			p.lastLine = now
		}
	}
	p.done, p.loss, p.score, p.value, p.tokens = done, loss, score, value, tokens
	if p.terminal {
		if now.Sub(p.lastDraw) >= redrawEvery || done >= p.total {
			p.draw(now, false)
		}
		return
	}
	tenth := 0
	if p.total > 0 {
		tenth = min(10*done/p.total, 9) // the last tenth is Finish's
	}
	if tenth > p.lastTenth || now.Sub(p.lastLine) >= plainInterval {
		p.lastTenth = max(p.lastTenth, tenth)
		p.line(now, false)
	}
}

// Finish reports the final state (in terminal mode ending the line) and
// stops reporting. It may be called more than once.
func (p *Progress) Finish() {
	if p.w == nil || p.finished {
		return
	}
	p.finished = true
	now := p.now()
	if p.terminal {
		p.draw(now, true)
		fmt.Fprintln(p.w)
		return
	}
	p.line(now, true)
}

// draw redraws the terminal line.
func (p *Progress) draw(now time.Time, final bool) {
	p.lastDraw = now
	var b strings.Builder
	b.WriteString("\r")
	b.WriteString(p.label)
	if p.total > 0 {
		filled := barWidth * min(max(p.done, 0), p.total) / p.total
		b.WriteString(" [")
		b.WriteString(strings.Repeat("=", filled))
		if filled < barWidth {
			b.WriteString(">")
			b.WriteString(strings.Repeat(" ", barWidth-filled-1))
		}
		b.WriteString("]")
	}
	b.WriteString(p.facts(now, final))
	width := b.Len()
	if pad := p.lastWidth - width; pad > 0 {
		b.WriteString(strings.Repeat(" ", pad)) // clear the rest of a longer line
	}
	p.lastWidth = width
	io.WriteString(p.w, b.String())
}

// line writes a plain line.
func (p *Progress) line(now time.Time, final bool) {
	p.lastLine = now
	io.WriteString(p.w, p.label+p.facts(now, final)+"\n")
}

// facts formats the counts, percentage, metrics, throughput and the ETA (or,
// when final, the time taken).
func (p *Progress) facts(now time.Time, final bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, " %d/%d", p.done, p.total)
	if p.total > 0 {
		fmt.Fprintf(&b, " %3d%%", 100*p.done/p.total)
	}
	if p.updated {
		fmt.Fprintf(&b, " loss %.4f", p.loss)
		if p.score != "" {
			fmt.Fprintf(&b, " %s %.3f", p.score, p.value)
		}
	}
	elapsed := now.Sub(p.start)
	if secs := elapsed.Seconds(); secs > 0 && p.tokens > p.startTokens {
		fmt.Fprintf(&b, " %.0f tok/s", float64(p.tokens-p.startTokens)/secs)
	}
	switch {
	case final:
		fmt.Fprintf(&b, " in %v", elapsed.Round(time.Second))
	case p.done > p.startDone && p.total > p.done:
		eta := time.Duration(float64(elapsed) / float64(p.done-p.startDone) * float64(p.total-p.done))
		fmt.Fprintf(&b, " ETA %v", eta.Round(time.Second))
	}
	return b.String()
}
