package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseTorchSetting(t *testing.T) {
	for _, c := range []struct {
		text string
		want torchSetting
		err  string
	}{
		{"openmp:2:2", torchSetting{variantOpenMP, 2, 2}, ""},
		{"pthread:1:2", torchSetting{variantPthread, 1, 2}, ""},
		{"system:1:1", torchSetting{variantSystem, 1, 1}, ""},
		{"openmp:2", torchSetting{}, "want VARIANT:BLAS:TORCH"},
		{"mkl:1:1", torchSetting{}, `OpenBLAS variant "mkl"`},
		{"openmp:0:1", torchSetting{}, `thread count "0"`},
		{"openmp:1:x", torchSetting{}, `thread count "x"`},
	} {
		got, err := parseTorchSetting(c.text)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: error %v, want one saying %q", c.text, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%q: %+v, %v; want %+v", c.text, got, err, c.want)
		case c.err == "" && got.String() != c.text:
			t.Errorf("%q reads back as %q", c.text, got.String())
		}
	}
}

// TestSettingEnv checks the environment of a PyTorch process: the system
// variant leaves LD_LIBRARY_PATH alone, the others put their directory
// first.
func TestSettingEnv(t *testing.T) {
	t.Setenv("LD_LIBRARY_PATH", "/opt/lib")
	for _, c := range []struct {
		s            torchSetting
		torchThreads int
		want         []string
	}{
		{torchSetting{variantSystem, 1, 2}, 2, []string{"OMP_NUM_THREADS=2", "OPENBLAS_NUM_THREADS=1"}},
		{torchSetting{variantOpenMP, 2, 1}, 2, []string{"OMP_NUM_THREADS=2", "OPENBLAS_NUM_THREADS=2",
			"LD_LIBRARY_PATH=" + filepath.Join(multiarchLibDir, "openblas-openmp") + ":/opt/lib"}},
	} {
		if got := c.s.env(c.torchThreads); !slices.Equal(got, c.want) {
			t.Errorf("%v.env(%d) = %q, want %q", c.s, c.torchThreads, got, c.want)
		}
	}
}

// TestInstalledVariants checks the detection of OpenBLAS builds in a
// library directory holding only the OpenMP one.
func TestInstalledVariants(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "openblas-openmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "openblas-openmp", "libblas.so.3"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	installed, skipped := installedVariants(dir)
	if !slices.Equal(installed, []string{variantOpenMP}) || len(skipped) != 1 ||
		!strings.Contains(skipped[0], "pthread not installed") || !strings.Contains(skipped[0], "libopenblas0-pthread") {
		t.Errorf("installed %q, skipped %q; want openmp, and pthread skipped with the package to install", installed, skipped)
	}
	for threads, want := range map[int][]int{1: {1}, 2: {1, 2}, 4: {1, 4}} {
		if got := threadCounts(threads); !slices.Equal(got, want) {
			t.Errorf("threadCounts(%d) = %v, want %v", threads, got, want)
		}
	}
}

// TestTrials checks how a trial process's output becomes trials: the
// median of the batches' tokens/s per torch thread count, and failures.
func TestTrials(t *testing.T) {
	openmp := torchSetting{OpenBLAS: variantOpenMP, BLASThreads: 2}
	loaded := "BLAS_INFO=open, loaded " + filepath.Join(variantDir(variantOpenMP), "libblas.so.3")
	out := func(blas string, tokens []int, seconds map[int][]float64) trialOutput {
		o := trialOutput{BLAS: blas, BatchTokens: tokens}
		for _, n := range []int{1, 2} {
			o.Runs = append(o.Runs, trialRun{n, seconds[n]})
		}
		return o
	}
	for _, c := range []struct {
		name string
		out  trialOutput
		want []trial
	}{
		{"medians", out(loaded, []int{100, 200, 300}, map[int][]float64{1: {1, 1, 1}, 2: {0.1, 1, 0.5}}), []trial{
			{torchSetting: torchSetting{variantOpenMP, 2, 1}, TokensPerSec: 200, Batches: 3}, // 100, 200, 300
			{torchSetting: torchSetting{variantOpenMP, 2, 2}, TokensPerSec: 600, Batches: 3}, // 1000, 200, 600
		}},
		{"wrong library", out("BLAS_INFO=open, loaded /usr/lib/libblas.so.3", []int{100}, map[int][]float64{1: {1}, 2: {1}}), []trial{
			{torchSetting: torchSetting{variantOpenMP, 2, 1}, TokensPerSec: 100, Batches: 1, Failed: "LD_LIBRARY_PATH did not select it: BLAS_INFO=open, loaded /usr/lib/libblas.so.3"},
			{torchSetting: torchSetting{variantOpenMP, 2, 2}, TokensPerSec: 100, Batches: 1, Failed: "LD_LIBRARY_PATH did not select it: BLAS_INFO=open, loaded /usr/lib/libblas.so.3"},
		}},
		{"missing times", out(loaded, []int{100, 100}, map[int][]float64{1: {1, 1}, 2: {1}}), []trial{
			{torchSetting: torchSetting{variantOpenMP, 2, 1}, TokensPerSec: 100, Batches: 2},
			{torchSetting: torchSetting{variantOpenMP, 2, 2}, Batches: 1, Failed: "1 batch times for 2 batches"},
		}},
	} {
		if got := c.out.trials(openmp); !slices.Equal(got, c.want) {
			t.Errorf("%s: trials\n%+v\nwant\n%+v", c.name, got, c.want)
		}
	}
}

// TestFastest checks the choice of the setting: the fastest eligible one,
// the first of equals, none when every trial failed.
func TestFastest(t *testing.T) {
	a, b, c := torchSetting{variantPthread, 1, 1}, torchSetting{variantOpenMP, 2, 2}, torchSetting{variantOpenMP, 1, 2}
	for _, tc := range []struct {
		name   string
		trials []trial
		want   torchSetting
		ok     bool
	}{
		{"fastest", []trial{{torchSetting: a, TokensPerSec: 10}, {torchSetting: b, TokensPerSec: 30}, {torchSetting: c, TokensPerSec: 20}}, b, true},
		{"first of equals", []trial{{torchSetting: c, TokensPerSec: 30}, {torchSetting: b, TokensPerSec: 30}}, c, true},
		{"failed ones do not count", []trial{{torchSetting: b, TokensPerSec: 99, Failed: "wrong library"}, {torchSetting: a, TokensPerSec: 1}}, a, true},
		{"all failed", []trial{{torchSetting: a, Failed: "exit status 1"}}, torchSetting{}, false},
		{"none", nil, torchSetting{}, false},
	} {
		if got, ok := fastest(tc.trials); got != tc.want || ok != tc.ok {
			t.Errorf("%s: fastest = %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
