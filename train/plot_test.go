package train

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestPlotCurves(t *testing.T) {
	dir := t.TempDir()
	many := make([]EpochMetrics, 40)
	for i := range many {
		e := float64(i + 1)
		many[i] = EpochMetrics{Epoch: i + 1, TrainLoss: 1 / e, TrainAcc: 1 - 0.5/e, ValLoss: 1.2 / e, ValAcc: 0.9 - 0.5/e, Confusion: [][]int{{1}}}
	}
	tests := []struct {
		name   string
		epochs []EpochMetrics
	}{
		{"one epoch", []EpochMetrics{{Epoch: 1, TrainLoss: 0.7, TrainAcc: 0.5}}},
		{"no validation", []EpochMetrics{{Epoch: 1, TrainLoss: 0.7, TrainAcc: 0.5}, {Epoch: 2, TrainLoss: 0.5, TrainAcc: 0.7}}},
		{"diverged", []EpochMetrics{{Epoch: 1, TrainLoss: 0.7, TrainAcc: 0.5, ValAcc: 0.4}, {Epoch: 2, TrainLoss: math.NaN(), TrainAcc: 0.3, ValAcc: 0.2}}},
		{"40 epochs", many},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "curves.png")
			if err := PlotCurves(path, tt.epochs); err != nil {
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
			if b := img.Bounds(); b.Dx() != CurvesWidth || b.Dy() != CurvesHeight {
				t.Errorf("image is %dx%d, want %dx%d", b.Dx(), b.Dy(), CurvesWidth, CurvesHeight)
			}
		})
	}
	if err := PlotCurves(filepath.Join(dir, "empty.png"), nil); err == nil {
		t.Error("PlotCurves of no epochs succeeded")
	}
}
