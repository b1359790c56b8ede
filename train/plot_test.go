package train

import (
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gornn/gornn/metrics"
)

// plotFile runs PlotCurves to path and returns the image it wrote.
func plotFile(t *testing.T, path string, epochs []EpochMetrics) image.Image {
	t.Helper()
	if err := PlotCurves(path, epochs); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestPlotCurves(t *testing.T) {
	dir := t.TempDir()
	many := make([]EpochMetrics, 40)
	for i := range many {
		e := float64(i + 1)
		many[i] = EpochMetrics{Epoch: i + 1, Objective: "accuracy", TrainLoss: 1 / e, Train: metrics.Scores{"accuracy": 1 - 0.5/e}, ValLoss: 1.2 / e, Val: metrics.Scores{"accuracy": 0.9 - 0.5/e}}
	}
	tests := []struct {
		name   string
		epochs []EpochMetrics
	}{
		{"one epoch", []EpochMetrics{{Epoch: 1, TrainLoss: 0.7, Train: metrics.Scores{"accuracy": 0.5}}}},
		{"no validation", []EpochMetrics{{Epoch: 1, TrainLoss: 0.7, Train: metrics.Scores{"accuracy": 0.5}}, {Epoch: 2, TrainLoss: 0.5, Train: metrics.Scores{"accuracy": 0.7}}}},
		{"diverged", []EpochMetrics{{Epoch: 1, TrainLoss: 0.7, Train: metrics.Scores{"accuracy": 0.5}, Val: metrics.Scores{"accuracy": 0.4}}, {Epoch: 2, TrainLoss: math.NaN(), Train: metrics.Scores{"accuracy": 0.3}, Val: metrics.Scores{"accuracy": 0.2}}}},
		{"40 epochs", many},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := plotFile(t, filepath.Join(dir, "curves.png"), tt.epochs)
			if b := img.Bounds(); b.Dx() != CurvesWidth || b.Dy() != CurvesHeight {
				t.Errorf("image is %dx%d, want %dx%d", b.Dx(), b.Dy(), CurvesWidth, CurvesHeight)
			}
		})
	}
	if err := PlotCurves(filepath.Join(dir, "empty.png"), nil); err == nil {
		t.Error("PlotCurves of no epochs succeeded")
	}
}

// TestCurvesImage checks the image a notebook shows inline: its size, that
// it is not blank, and that PlotCurves writes exactly these pixels.
func TestCurvesImage(t *testing.T) {
	epochs := []EpochMetrics{
		{Epoch: 1, TrainLoss: 1.2, Train: metrics.Scores{"accuracy": 0.4}, ValLoss: 1.0, Val: metrics.Scores{"accuracy": 0.5}},
		{Epoch: 2, TrainLoss: 0.8, Train: metrics.Scores{"accuracy": 0.7}, ValLoss: 0.9, Val: metrics.Scores{"accuracy": 0.6}},
	}
	img, err := CurvesImage(epochs)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() != CurvesWidth || b.Dy() != CurvesHeight {
		t.Fatalf("image is %dx%d, want %dx%d", b.Dx(), b.Dy(), CurvesWidth, CurvesHeight)
	}
	colors := map[[4]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			colors[[4]uint32{r, g, bl, a}] = true
		}
	}
	// Background, axes and text, and the two curve colours at least.
	if len(colors) < 4 {
		t.Errorf("image has %d colours, want a drawing", len(colors))
	}

	path := filepath.Join(t.TempDir(), CurvesFile)
	written := plotFile(t, path, epochs)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r1, g1, b1, a1 := img.At(x, y).RGBA()
			r2, g2, b2, a2 := written.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				t.Fatalf("pixel (%d, %d) of %s differs from CurvesImage's", x, y, path)
			}
		}
	}

	if _, err := CurvesImage(nil); err == nil {
		t.Error("CurvesImage of no epochs succeeded")
	}
}
