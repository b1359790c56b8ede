package train

import (
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/gornn/gornn/internal/atomicfile"
	"github.com/gornn/gornn/metrics"
	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The size of the image PlotCurves draws: CurvesWidth × CurvesHeight
// pixels.
const (
	CurvesWidth  = 1200
	CurvesHeight = 450
	curvesDPI    = 100
)

var (
	trainColor = color.RGBA{R: 31, G: 119, B: 180, A: 255} // blue
	valColor   = color.RGBA{R: 255, G: 127, B: 14, A: 255} // orange
)

// PlotCurves draws the learning curves of epochs as a PNG image at path
// (curves.png), written atomically: the image CurvesImage returns.
func PlotCurves(path string, epochs []EpochMetrics) error {
	img, err := CurvesImage(epochs)
	if err != nil {
		return errors.Wrap(err, path)
	}
	return atomicfile.WriteFile(path, func(w io.Writer) error {
		return png.Encode(w, img)
	})
}

// CurvesImage draws the learning curves of epochs, CurvesWidth ×
// CurvesHeight pixels: two panels against the epoch, the loss (training and
// validation) and the task's objective score (training and validation;
// with a loss objective, the validation perplexity when the task reports
// one). Validation curves are drawn from the epochs that had a validation
// pass; non-finite values (a diverged loss) are left out. A notebook shows
// the image inline when a cell ends with it.
func CurvesImage(epochs []EpochMetrics) (image.Image, error) {
	if len(epochs) == 0 {
		return nil, errors.New("train: plotting: no epochs")
	}
	score := epochs[len(epochs)-1].Objective
	if score == metrics.Loss || score == "" {
		score = "perplexity"
	}
	loss := panel("Loss", "loss", true) // losses fall: legend at the top
	right := panel(scoreTitle(score), score, false)
	scoreOf := func(s metrics.Scores) float64 {
		if v, ok := s[score]; ok {
			return v
		}
		return math.NaN()
	}
	series := []struct {
		p     *plot.Plot
		label string
		val   bool
		c     color.Color
		y     func(EpochMetrics) float64
	}{
		{loss, "train", false, trainColor, func(m EpochMetrics) float64 { return m.TrainLoss }},
		{loss, "validation", true, valColor, func(m EpochMetrics) float64 { return m.ValLoss }},
		{right, "train", false, trainColor, func(m EpochMetrics) float64 { return scoreOf(m.Train) }},
		{right, "validation", true, valColor, func(m EpochMetrics) float64 { return scoreOf(m.Val) }},
	}
	for _, s := range series {
		var xys plotter.XYs
		for _, m := range epochs {
			if y := s.y(m); (!s.val || m.HasValidation()) && y-y == 0 {
				xys = append(xys, plotter.XY{X: float64(m.Epoch), Y: y})
			}
		}
		if len(xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, errors.Wrap(err, "train: plotting")
		}
		line.Color, points.Color = s.c, s.c
		line.Width = vg.Points(1.5)
		points.Shape = draw.CircleGlyph{}
		s.p.Add(line, points)
		s.p.Legend.Add(s.label, line, points)
	}
	if score != "perplexity" {
		right.Y.Min, right.Y.Max = 0, 1
	}

	img := vgimg.NewWith(vgimg.UseWH(CurvesWidth*vg.Inch/curvesDPI, CurvesHeight*vg.Inch/curvesDPI), vgimg.UseDPI(curvesDPI))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 8, PadTop: vg.Millimeter * 2,
		PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
	canvases := plot.Align([][]*plot.Plot{{loss, right}}, tiles, dc)
	loss.Draw(canvases[0][0])
	right.Draw(canvases[0][1])
	return img.Image(), nil
}

// scoreTitle returns a panel title for a score name: "macro_f1" ->
// "Macro f1".
func scoreTitle(name string) string {
	t := strings.ReplaceAll(name, "_", " ")
	if t == "" {
		return t
	}
	return strings.ToUpper(t[:1]) + t[1:]
}

// panel returns an empty plot with a title, an epoch axis, a y label and
// its legend at the top or bottom right.
func panel(title, ylabel string, legendTop bool) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = ylabel
	p.X.Tick.Marker = epochTicks{}
	p.Add(plotter.NewGrid())
	p.Legend.Top = legendTop
	return p
}

// epochTicks labels the epoch axis with whole epochs only.
type epochTicks struct{}

// Ticks returns about ten ticks at whole numbers in [min, max].
func (epochTicks) Ticks(min, max float64) []plot.Tick {
	step := 1
	for (max-min)/float64(step) > 10 {
		step *= 2
	}
	var ticks []plot.Tick
	for e := int(min); float64(e) <= max; e++ {
		if float64(e) < min {
			continue
		}
		t := plot.Tick{Value: float64(e)}
		if e%step == 0 {
			t.Label = strconv.Itoa(e)
		}
		ticks = append(ticks, t)
	}
	return ticks
}
