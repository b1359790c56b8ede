package models

import (
	"image"
	"image/color"
	"image/png"
	"io"

	"github.com/gornn/gornn/internal/atomicfile"
	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// heatmapCell is the size of one cell of an attention heatmap, in pixels
// at heatmapDPI.
const (
	heatmapCell = 28
	heatmapDPI  = 100
)

// AttentionHeatmap draws attention weights as an image: one column per
// source token (source, left to right), one row per output step (output,
// top to bottom; the last row is usually <eos>), darker where the decoder
// attended more. attention is [len(output)][len(source)], as a
// TranslationOutput's Attention with its tokens and "<eos>". A notebook
// shows the image inline when a cell ends with it.
func AttentionHeatmap(title string, source, output []string, attention [][]float64) (image.Image, error) {
	if len(source) == 0 || len(attention) != len(output) {
		return nil, errors.Errorf("models: heatmap of %d rows for %d output tokens over %d source tokens", len(attention), len(output), len(source))
	}
	for i, row := range attention {
		if len(row) != len(source) {
			return nil, errors.Errorf("models: heatmap row %d has %d weights for %d source tokens", i, len(row), len(source))
		}
	}
	grid := attentionGrid(attention)
	heat := plotter.NewHeatMap(grid, reversed(palette.Heat(32, 1)))
	heat.Min, heat.Max = 0, 1
	p := plot.New()
	p.Title.Text = title
	p.Add(heat)
	p.X.Label.Text, p.Y.Label.Text = "source", "output"
	var xs, ys []plot.Tick
	for c, t := range source {
		xs = append(xs, plot.Tick{Value: float64(c), Label: t})
	}
	for r, t := range output {
		ys = append(ys, plot.Tick{Value: grid.Y(r), Label: t})
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.ConstantTicks(xs), plot.ConstantTicks(ys)
	p.X.Min, p.X.Max = -0.5, float64(len(source))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(output))-0.5
	w := vg.Length(heatmapCell*len(source)+160) * vg.Inch / heatmapDPI
	h := vg.Length(heatmapCell*len(output)+120) * vg.Inch / heatmapDPI
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(heatmapDPI))
	p.Draw(draw.New(img))
	return img.Image(), nil
}

// SaveAttentionHeatmap writes AttentionHeatmap's image to path as a PNG,
// atomically.
func SaveAttentionHeatmap(path, title string, source, output []string, attention [][]float64) error {
	img, err := AttentionHeatmap(title, source, output, attention)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, func(w io.Writer) error { return png.Encode(w, img) })
}

// attentionGrid is attention weights as a plotter.GridXYZ: column c is
// source token c, row r output step r, drawn from the top.
type attentionGrid [][]float64

func (g attentionGrid) Dims() (c, r int)   { return len(g[0]), len(g) }
func (g attentionGrid) Z(c, r int) float64 { return g[r][c] }
func (g attentionGrid) X(c int) float64    { return float64(c) }
func (g attentionGrid) Y(r int) float64    { return float64(len(g) - 1 - r) }

// colors is a palette of the colors it holds.
type colors []color.Color

func (c colors) Colors() []color.Color { return c }

// reversed returns p's colors in reverse order (light for low weights).
func reversed(p palette.Palette) palette.Palette {
	in := p.Colors()
	out := make(colors, len(in))
	for i, c := range in {
		out[len(in)-1-i] = c
	}
	return out
}
