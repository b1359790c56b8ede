package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// PyTorch's speed on a few cores depends on which OpenBLAS it loads and on
// how many threads OpenBLAS and torch each start: with the pthread build
// and 2 threads each, their spinning threads oversubscribe 2 cores and a
// GRU h128 b64 training step takes twice as long as with the OpenMP build,
// which shares torch's OpenMP pool. So before measuring a config in a
// mode, the harness tries every setting (see searchSettings) and measures
// PyTorch with the fastest.

// Names of the OpenBLAS builds a setting can load.
const (
	variantPthread = "pthread" // Debian's libopenblas0-pthread, the usual default
	variantOpenMP  = "openmp"  // Debian's libopenblas0-openmp
	variantSystem  = "system"  // whatever libblas.so.3 the system resolves: LD_LIBRARY_PATH left alone
)

// openblasVariants are the builds the search tries, each where installed.
var openblasVariants = []string{variantPthread, variantOpenMP}

// multiarchLibDir is the directory that holds Debian's OpenBLAS builds,
// one subdirectory openblas-VARIANT each.
var multiarchLibDir = "/usr/lib/" + map[string]string{
	"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu", "386": "i386-linux-gnu",
	"ppc64le": "powerpc64le-linux-gnu", "s390x": "s390x-linux-gnu", "riscv64": "riscv64-linux-gnu",
}[runtime.GOARCH]

// torchSetting is how a PyTorch process runs: which OpenBLAS build it
// loads and how many threads OpenBLAS and torch use. Its flag syntax is
// VARIANT:BLAS:TORCH, e.g. "openmp:2:2".
type torchSetting struct {
	OpenBLAS     string `json:"openblas"`         // pthread, openmp or system
	BLASThreads  int    `json:"openblas_threads"` // OPENBLAS_NUM_THREADS
	TorchThreads int    `json:"torch_threads"`    // torch.set_num_threads and OMP_NUM_THREADS
}

// defaultTorchSetting is the setting of -accuracy without -torch-setting
// (which does not search): the system's OpenBLAS on one thread, torch on
// threads.
func defaultTorchSetting(threads int) torchSetting {
	return torchSetting{OpenBLAS: variantSystem, BLASThreads: 1, TorchThreads: threads}
}

// String returns s in the flag syntax, e.g. "openmp:2:2".
func (s torchSetting) String() string {
	return fmt.Sprintf("%s:%d:%d", s.OpenBLAS, s.BLASThreads, s.TorchThreads)
}

// describe spells s out for the report.
func (s torchSetting) describe() string {
	blas := "the system's OpenBLAS"
	if s.OpenBLAS != variantSystem {
		blas = "OpenBLAS " + s.OpenBLAS + " (LD_LIBRARY_PATH=" + variantDir(s.OpenBLAS) + ")"
	}
	return fmt.Sprintf("%s, OPENBLAS_NUM_THREADS=%d, torch.set_num_threads(%d)", blas, s.BLASThreads, s.TorchThreads)
}

// parseTorchSetting reads the flag syntax VARIANT:BLAS:TORCH.
func parseTorchSetting(text string) (torchSetting, error) {
	parts := strings.Split(text, ":")
	if len(parts) != 3 {
		return torchSetting{}, errors.Errorf("-torch-setting %q: want VARIANT:BLAS:TORCH, e.g. openmp:2:2", text)
	}
	s := torchSetting{OpenBLAS: parts[0]}
	if !slices.Contains(append(slices.Clone(openblasVariants), variantSystem), s.OpenBLAS) {
		return s, errors.Errorf("-torch-setting %q: OpenBLAS variant %q, want pthread, openmp or system", text, s.OpenBLAS)
	}
	for i, p := range []*int{&s.BLASThreads, &s.TorchThreads} {
		n, err := strconv.Atoi(parts[1+i])
		if err != nil || n < 1 {
			return s, errors.Errorf("-torch-setting %q: thread count %q, want a positive integer", text, parts[1+i])
		}
		*p = n
	}
	return s, nil
}

// env returns the environment variables a PyTorch process runs with under
// s, with torch on torchThreads OpenMP threads (s.TorchThreads, or the
// most a trial tries).
func (s torchSetting) env(torchThreads int) []string {
	env := []string{"OMP_NUM_THREADS=" + strconv.Itoa(torchThreads), "OPENBLAS_NUM_THREADS=" + strconv.Itoa(s.BLASThreads)}
	if s.OpenBLAS != variantSystem {
		path := variantDir(s.OpenBLAS)
		if old := os.Getenv("LD_LIBRARY_PATH"); old != "" {
			path += ":" + old
		}
		env = append(env, "LD_LIBRARY_PATH="+path)
	}
	return env
}

// variantDir is where Debian installs OpenBLAS build variant.
func variantDir(variant string) string {
	return filepath.Join(multiarchLibDir, "openblas-"+variant)
}

// installedVariants returns the OpenBLAS builds of openblasVariants that
// are installed under libDir, and for each other one why it is skipped.
func installedVariants(libDir string) (installed, skipped []string) {
	for _, v := range openblasVariants {
		if why := missingVariant(libDir, v); why != "" {
			skipped = append(skipped, why)
		} else {
			installed = append(installed, v)
		}
	}
	return installed, skipped
}

// missingVariant says why OpenBLAS build variant is not installed under
// libDir (there is no libDir/openblas-VARIANT/libblas.so.3), or returns
// "" when it is.
func missingVariant(libDir, variant string) string {
	lib := filepath.Join(libDir, "openblas-"+variant, "libblas.so.3")
	if _, err := os.Stat(lib); err != nil {
		return fmt.Sprintf("%s not installed (no %s; apt-get install libopenblas0-%s)", variant, lib, variant)
	}
	return ""
}

// threadCounts are the thread counts the search tries for OpenBLAS and
// for torch: 1 and threads.
func threadCounts(threads int) []int {
	if threads == 1 {
		return []int{1}
	}
	return []int{1, threads}
}

// trial is one setting's trial run: its speed, or why it does not count.
type trial struct {
	torchSetting
	TokensPerSec float64 `json:"tokens_per_sec"`   // median over the trial's batches of the batch's tokens/s
	Batches      int     `json:"batches"`          // timed batches
	Failed       string  `json:"failed,omitempty"` // why the setting is not eligible
}

// fastest returns the eligible trial with the most tokens/s (the first of
// equals), or false when none is eligible.
func fastest(trials []trial) (torchSetting, bool) {
	best := -1
	for i, t := range trials {
		if t.Failed == "" && (best < 0 || t.TokensPerSec > trials[best].TokensPerSec) {
			best = i
		}
	}
	if best < 0 {
		return torchSetting{}, false
	}
	return trials[best].torchSetting, true
}

// trialOutput is what torch_bench.py --trial-threads prints: the BLAS it
// loaded, the tokens of each timed batch and, per torch thread count, the
// seconds of each.
type trialOutput struct {
	BLAS        string     `json:"blas"`
	BatchTokens []int      `json:"batch_tokens"`
	Runs        []trialRun `json:"trials"`
}

// trialRun is the batch times of one torch thread count in a trial.
type trialRun struct {
	TorchThreads int       `json:"torch_threads"`
	BatchSeconds []float64 `json:"batch_seconds"`
}

// trials turns the output of one trial process, run under base with each
// torch thread count, into one trial per count. A process that did not
// load base's OpenBLAS build makes every trial fail, saying what it
// loaded.
func (out trialOutput) trials(base torchSetting) []trial {
	var failed string
	if base.OpenBLAS != variantSystem && !strings.Contains(out.BLAS, variantDir(base.OpenBLAS)+"/") {
		failed = "LD_LIBRARY_PATH did not select it: " + out.BLAS
	}
	var trials []trial
	for _, run := range out.Runs {
		s := base
		s.TorchThreads = run.TorchThreads
		t := trial{torchSetting: s, Batches: len(run.BatchSeconds), Failed: failed}
		if len(run.BatchSeconds) != len(out.BatchTokens) || len(run.BatchSeconds) == 0 {
			t.Failed = fmt.Sprintf("%d batch times for %d batches", len(run.BatchSeconds), len(out.BatchTokens))
		} else {
			rates := make([]float64, len(run.BatchSeconds))
			for i, sec := range run.BatchSeconds {
				rates[i] = float64(out.BatchTokens[i]) / sec
			}
			t.TokensPerSec = median(rates)
		}
		trials = append(trials, t)
	}
	return trials
}
