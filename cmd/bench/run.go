package main

import (
	"bytes"
	"cmp"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/internal/gemm"
	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

// scripts are the PyTorch side, written next to the run directories so
// that the command works from any directory.
//
//go:embed torch_bench.py gornn_torch.py torch_lm.py
var scripts embed.FS

// report is everything a benchmark measured: what the tables show, and
// what -json writes.
type report struct {
	Setup    setup             `json:"setup"`
	Speed    []measurement     `json:"speed,omitempty"`
	Latency  []measurement     `json:"latency,omitempty"`
	Accuracy []measurement     `json:"accuracy,omitempty"`
	MPI      []mpiMeasurement  `json:"mpi,omitempty"`
	Configs  map[string]string `json:"configs"` // name -> description
}

// measurement is the runs of one config in one mode, in run order.
type measurement struct {
	Config       string        `json:"config"`
	Mode         string        `json:"mode"`
	Gornn        []result      `json:"gornn"`
	PyTorch      []result      `json:"pytorch,omitempty"`
	TorchSetting *torchSetting `json:"torch_setting,omitempty"` // the setting PyTorch ran with
	TorchTrials  []trial       `json:"torch_trials,omitempty"`  // the search that chose it, fastest first
}

// peakBudget is how long the peak measurement multiplies matrices.
const peakBudget = 600 * time.Millisecond

// latencyTokens is the length of the latency mode's text.
const latencyTokens = 40

// bench prepares the data and the run directories, runs both sides and
// prints the report.
func bench(o options, stdout, stderr io.Writer) error {
	s := describeMachine(o)
	var data benchData
	var err error
	if o.task == "tag" {
		data.tagged, err = prepareTagged(o, &s)
	} else {
		data.classify, err = prepare(o, &s)
	}
	if err != nil {
		return err
	}
	var request datasets.Batch
	if !o.accuracy && slices.Contains(o.modes, modeLatency) && data.classify != nil {
		if request, err = latencyRequest(data.classify.Train); err != nil {
			return err
		}
		s.LatencyTokens, s.Requests = latencyTokens, o.requests
	}
	tmp, cleanup, err := workDir(o)
	if err != nil {
		return err
	}
	defer cleanup()
	r, err := newRunner(o, tmp, stderr)
	if err != nil {
		return err
	}
	info, err := r.probe()
	if err != nil {
		s.PyTorchMissing = err.Error()
		fmt.Fprintf(stderr, "PyTorch not available: %v\n", err)
	} else {
		s.PyTorch = info
		if err := r.chooseVariants(o, &s); err != nil {
			return err
		}
	}
	if !o.accuracy && (slices.Contains(o.modes, modeTrain) || slices.Contains(o.modes, modeInfer)) {
		r.waitIdle()
		p := gemm.MeasurePeak(peakBudget)
		s.CoreGFLOPS, s.PeakKernel, s.PeakCores = p.GFLOPS, p.String(), min(o.threads, runtime.NumCPU())
		fmt.Fprintf(stderr, "peak: gornn's SGEMM on one core: %v\n", p)
	}
	rep := report{Setup: s, Configs: map[string]string{}}
	epochs := 1
	if o.accuracy {
		epochs = o.epochs
	}
	for _, c := range o.configs {
		dir := filepath.Join(tmp, c.name)
		if err := data.writeRun(dir, c, o, epochs); err != nil {
			return errors.Wrap(err, c.name)
		}
		rep.Configs[c.name] = c.String()
		if o.accuracy {
			m, err := r.pair(c.name, modeAccuracy, dir, 1, *o.torch)
			if err != nil {
				return err
			}
			rep.Accuracy = append(rep.Accuracy, m)
			continue
		}
		for _, mode := range o.modes {
			if mode == modeMPI {
				m, err := r.mpiPair(c.name, dir, o)
				if err != nil {
					return err
				}
				rep.MPI = append(rep.MPI, m)
				continue
			}
			if mode == modeLatency {
				if !c.latency {
					continue
				}
				plan := [][]datasets.Batch{slices.Repeat([]datasets.Batch{request}, 1+o.requests)}
				if err := writePlan(filepath.Join(dir, latencyPlan), plan); err != nil {
					return err
				}
			}
			m, err := r.benchMode(c.name, mode, dir, o)
			if err != nil {
				return err
			}
			if mode == modeLatency {
				rep.Latency = append(rep.Latency, m)
				continue
			}
			for _, side := range [][]result{m.Gornn, m.PyTorch} {
				for i, res := range side {
					side[i].FLOPs = data.flops(c, mode, res.Tokens, res.Rows)
				}
			}
			rep.Speed = append(rep.Speed, m)
		}
	}
	writeReport(stdout, rep, o.configs)
	if o.jsonOut == "" {
		return nil
	}
	out, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(o.jsonOut, append(out, '\n'), 0o644)
}

// workDir returns the folder of the run directories: -workdir, created
// if needed, or a temporary one that cleanup removes.
func workDir(o options) (dir string, cleanup func(), err error) {
	if o.workdir != "" {
		return o.workdir, func() {}, os.MkdirAll(o.workdir, 0o755)
	}
	if dir, err = os.MkdirTemp("", "gornn-bench-"); err != nil {
		return "", nil, err
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// prepare loads and encodes the data, recording what it is in s.
func prepare(o options, s *setup) (*datasets.Prepared, error) {
	path := o.data
	if path == "" {
		dir, _ := datasets.AGNewsDir()
		path = filepath.Join(dir, "test.csv")
		if _, err := os.Stat(path); err != nil {
			s.Data = fmt.Sprintf("the built-in dataset (AG News not found: %v)", err)
			path = ""
		}
	}
	src := datasets.Source{
		Path: path, TrainRows: o.trainRows, ValSplit: -1, Seed: o.seed,
		BuiltinSize: o.trainRows.To, Vocab: datasets.VocabOptions{MaxSize: maxVocab},
	}
	if o.accuracy {
		src.ValRows = o.evalRows
		src.BuiltinSize = max(o.trainRows.To, o.evalRows.To)
	}
	data, err := datasets.Prepare(src)
	if err != nil {
		return nil, err
	}
	if path != "" {
		s.Data = path
	}
	s.TrainRows, s.TrainExamples, s.Vocab = o.trainRows.String(), data.Train.Len(), data.Vocab.Len()
	if data.Val != nil {
		s.EvalRows, s.EvalExamples = o.evalRows.String(), data.Val.Len()
	}
	return data, nil
}

// writeRun writes config c's run directory: the initial weights and the
// plans of the training rows (shuffled, epoch by epoch) and of the
// evaluation rows (in order).
func writeRun(dir string, c benchConfig, data *datasets.Prepared, o options, epochs int) error {
	cfg := c.model
	cfg.Labels = data.Classes
	model, err := models.New(cfg, data.Vocab, models.Options{Seed: o.seed})
	if err != nil {
		return err
	}
	if err := model.Save(filepath.Join(dir, modelDir)); err != nil {
		return err
	}
	return writePlans(dir, c, data.Train, data.Val, o, epochs)
}

// writePlans writes the plans of a run directory: the training rows'
// batches (shuffled, epoch by epoch) and the evaluation rows' (in order),
// when val is not nil.
func writePlans(dir string, c benchConfig, train, val *datasets.Encoded, o options, epochs int) error {
	plan, err := makePlan(train, datasets.BatcherOptions{BatchSize: c.batch, Shuffle: true, Bucket: o.bucket, Seed: o.seed}, epochs)
	if err != nil {
		return err
	}
	if err := writePlan(filepath.Join(dir, trainPlan), plan); err != nil {
		return err
	}
	if val == nil {
		return nil
	}
	if plan, err = makePlan(val, datasets.BatcherOptions{BatchSize: c.batch}, 1); err != nil {
		return err
	}
	return writePlan(filepath.Join(dir, evalPlan), plan)
}

// latencyRequest returns the latency mode's request: one text of
// latencyTokens tokens, the training rows' tokens joined from the first
// row on, labelled as the first row.
func latencyRequest(train *datasets.Encoded) (datasets.Batch, error) {
	var ids []int
	for _, row := range train.IDs {
		ids = append(ids, row[:min(len(row), latencyTokens-len(ids))]...)
		if len(ids) == latencyTokens {
			return datasets.Batch{IDs: ids, Lengths: []int{latencyTokens}, Labels: train.Labels[:1], Size: 1, Steps: latencyTokens}, nil
		}
	}
	return datasets.Batch{}, errors.Errorf("the training rows have %d tokens in all, fewer than the %d of a latency request", len(ids), latencyTokens)
}

// runner starts the measured processes.
type runner struct {
	self     string // this executable, re-run with -worker
	python   string
	script   string // torch_bench.py
	threads  string
	steps    string
	torch    bool          // whether PyTorch runs
	variants []string      // the OpenBLAS builds the search tries
	idleWait time.Duration // see waitIdle
	log      io.Writer     // progress
}

// newRunner writes the PyTorch scripts into dir.
func newRunner(o options, dir string, log io.Writer) (*runner, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"torch_bench.py", "gornn_torch.py", "torch_lm.py"} {
		text, err := scripts.ReadFile(name)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, name), text, 0o644)
		}
		if err != nil {
			return nil, err
		}
	}
	return &runner{
		self: self, python: o.python, script: filepath.Join(dir, "torch_bench.py"),
		threads: strconv.Itoa(o.threads), steps: strconv.Itoa(o.steps), idleWait: o.idleWait, log: log,
	}, nil
}

// torchInfo describes the PyTorch installation, as torch_bench.py --info
// reports it.
type torchInfo struct {
	Version string `json:"torch"`
	Python  string `json:"python"`
	BLAS    string `json:"blas"` // with the environment cmd/bench was given
}

// probe checks that the interpreter can import torch; on success the
// runner runs PyTorch too.
func (r *runner) probe() (*torchInfo, error) {
	cmd := exec.Command(r.python, r.script, "--info")
	out, err := capture(cmd)
	if err != nil {
		return nil, err
	}
	var info torchInfo
	if err := json.Unmarshal(out, &info); err != nil {
		return nil, errors.Wrapf(err, "%s --info printed %q", r.script, out)
	}
	r.torch = true
	return &info, nil
}

// chooseVariants records in s how PyTorch will be set up: the
// -torch-setting, whose OpenBLAS build must be installed, or the builds
// the search tries (the system's alone when none is installed).
func (r *runner) chooseVariants(o options, s *setup) error {
	if o.torch != nil {
		if v := o.torch.OpenBLAS; v != variantSystem {
			if why := missingVariant(multiarchLibDir, v); why != "" {
				return errors.Errorf("-torch-setting %v: OpenBLAS %s", o.torch, why)
			}
		}
		s.TorchForced = o.torch
		return nil
	}
	installed, skipped := installedVariants(multiarchLibDir)
	r.variants = installed
	if len(installed) == 0 {
		r.variants = []string{variantSystem}
	}
	s.TorchVariants, s.TorchSkipped, s.TorchThreadCounts, s.TrialSteps = r.variants, skipped, threadCounts(o.threads), o.trials
	return nil
}

// benchMode measures config name in mode: PyTorch's setting first (the forced
// one, or the fastest of a search), then repeats runs of each side.
func (r *runner) benchMode(name, mode, dir string, o options) (measurement, error) {
	if !r.torch {
		return r.pair(name, mode, dir, o.repeats, torchSetting{})
	}
	setting, trials := o.torch, []trial(nil)
	if setting == nil {
		var err error
		if trials, err = r.search(name, mode, dir, o); err != nil {
			return measurement{}, err
		}
		best, ok := fastest(trials)
		if !ok {
			return measurement{}, errors.Errorf("%s %s: no PyTorch setting ran: %s", name, mode, trials[0].Failed)
		}
		setting = &best
	}
	m, err := r.pair(name, mode, dir, o.repeats, *setting)
	m.TorchSetting, m.TorchTrials = setting, trials
	return m, err
}

// search times PyTorch on config name in mode under every setting: each
// OpenBLAS build of r.variants with OPENBLAS_NUM_THREADS 1 or -threads and
// torch.set_num_threads (and OMP_NUM_THREADS) 1 or -threads, one process
// per setting, on the same -trial-steps batches (every request for
// latency). One process per setting, which sets its thread count once:
// torch.set_num_threads restarts the OpenMP team at every call, and
// calling it before each batch slowed the 2-thread trials up to 4x (GRU
// inference: 85k tokens/s against 375k), so that the search picked slower
// settings. It returns the trials fastest first; a setting
// whose process failed is in them, saying why.
func (r *runner) search(name, mode, dir string, o options) ([]trial, error) {
	counts := threadCounts(o.threads)
	steps := strconv.Itoa(o.trials)
	if mode == modeLatency {
		steps = "0"
	}
	var trials []trial
	fmt.Fprintf(r.log, "%s %s, PyTorch settings:", name, mode)
	for _, variant := range r.variants {
		for _, blasThreads := range counts {
			for _, torchThreads := range counts {
				base := torchSetting{OpenBLAS: variant, BLASThreads: blasThreads}
				cmd := exec.Command(r.python, r.script, "--mode", mode, "--dir", dir, "--steps", steps, "--trial-threads", strconv.Itoa(torchThreads))
				cmd.Env = append(os.Environ(), base.env(torchThreads)...)
				r.waitIdle()
				var out trialOutput
				text, err := capture(cmd)
				if err == nil {
					err = errors.Wrapf(json.Unmarshal(text, &out), "%s printed %q", r.script, text)
				}
				got := out.trials(base)
				if err == nil && len(got) != 1 {
					err = errors.Errorf("%s timed %d thread counts, want 1", r.script, len(got))
				}
				if err != nil {
					s := base
					s.TorchThreads = torchThreads
					got = []trial{{torchSetting: s, Failed: err.Error()}}
				}
				for _, t := range got {
					fmt.Fprintf(r.log, " %v %.0f tokens/s;", t.torchSetting, t.TokensPerSec)
				}
				trials = append(trials, got...)
			}
		}
	}
	slices.SortStableFunc(trials, func(a, b trial) int { return cmp.Compare(b.TokensPerSec, a.TokensPerSec) })
	if best, ok := fastest(trials); ok {
		fmt.Fprintf(r.log, " fastest %v", best)
	}
	fmt.Fprintln(r.log)
	return trials, nil
}

// pair runs config name in mode repeats times on each side, alternating
// which goes first, PyTorch under setting, and logs each repeat.
func (r *runner) pair(name, mode, dir string, repeats int, setting torchSetting) (measurement, error) {
	log := r.log
	m := measurement{Config: name, Mode: mode}
	for rep := 1; rep <= repeats; rep++ {
		sides := []string{"gornn", "pytorch"}
		if !r.torch {
			sides = sides[:1]
		} else if rep%2 == 0 {
			sides[0], sides[1] = sides[1], sides[0]
		}
		fmt.Fprintf(log, "%s %s %d/%d:", name, mode, rep, repeats)
		for _, side := range sides {
			res, err := r.measure(side, mode, dir, setting)
			if err != nil {
				fmt.Fprintln(log)
				return m, errors.Wrapf(err, "%s %s, %s", name, mode, side)
			}
			if side == "gornn" {
				m.Gornn = append(m.Gornn, res)
			} else {
				m.PyTorch = append(m.PyTorch, res)
			}
			fmt.Fprintf(log, " %s %.0f tokens/s, %.1f s, %.0f MiB;", side, float64(res.Tokens)/res.Seconds, res.Seconds, mib(res.PeakRSSKiB))
		}
		fmt.Fprintln(log)
	}
	return m, nil
}

// measure runs one side once, in its own process (PyTorch under setting),
// and adds its peak RSS (Linux's ru_maxrss, in KiB) to what it reports.
func (r *runner) measure(side, mode, dir string, setting torchSetting) (result, error) {
	steps := r.steps
	if mode == modeLatency {
		steps = "0"
	}
	var cmd *exec.Cmd
	if side == "gornn" {
		cmd = exec.Command(r.self, "-worker", mode, "-dir", dir, "-threads", r.threads, "-steps", steps)
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+r.threads)
	} else {
		cmd = exec.Command(r.python, r.script, "--mode", mode, "--dir", dir, "--threads", strconv.Itoa(setting.TorchThreads), "--steps", steps)
		cmd.Env = append(os.Environ(), setting.env(setting.TorchThreads)...)
	}
	return r.measured(cmd)
}

// measured runs cmd, a measured run that reports a result as JSON on
// stdout, and adds its peak RSS and the other processes' load.
func (r *runner) measured(cmd *exec.Cmd) (result, error) {
	r.waitIdle()
	busy := busyCPUSeconds()
	start := time.Now()
	out, err := capture(cmd)
	if err != nil {
		return result{}, err
	}
	wall := time.Since(start).Seconds()
	var res result
	if err := json.Unmarshal(out, &res); err != nil {
		return result{}, errors.Wrapf(err, "%s printed %q", cmd.Args[0], out)
	}
	if res.Steps == 0 || res.Seconds <= 0 {
		return result{}, errors.Errorf("%s measured nothing: %s", cmd.Args[0], out)
	}
	ps := cmd.ProcessState
	res.PeakRSSKiB = ps.SysUsage().(*syscall.Rusage).Maxrss
	if busy >= 0 {
		others := busyCPUSeconds() - busy - (ps.UserTime() + ps.SystemTime()).Seconds()
		res.OtherCPUs = max(0, others/wall)
	}
	return res, nil
}

// idleCPUs is the load of other processes below which the machine counts
// as idle: a fifth of a CPU, on average over a second.
const idleCPUs = 0.2

// waitIdle waits, at most r.idleWait, until the machine is idle (this
// process sleeps meanwhile, so all the load is others'). Runs measured on
// a machine that stays busy show it in their OtherCPUs.
func (r *runner) waitIdle() {
	deadline := time.Now().Add(r.idleWait)
	for said := false; time.Now().Before(deadline); said = true {
		before := busyCPUSeconds()
		time.Sleep(time.Second)
		load := busyCPUSeconds() - before
		if before < 0 || load < idleCPUs {
			return
		}
		if !said {
			fmt.Fprintf(r.log, " (waiting for other processes to leave the CPUs: %.1f busy)", load)
		}
	}
}

// busyCPUSeconds returns the CPU time all processes have used since boot,
// from the first line of /proc/stat (user, nice, system, irq, softirq and
// steal, in USER_HZ = 1/100 s), or -1 when it cannot be read.
func busyCPUSeconds() float64 {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return -1
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return -1
	}
	ticks := 0.0
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		v, err := strconv.ParseFloat(fields[i], 64)
		if err != nil {
			return -1
		}
		ticks += v
	}
	return ticks / 100
}

// capture runs cmd and returns its stdout; a failure's error ends with the
// last lines cmd wrote to stderr.
func capture(cmd *exec.Cmd) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := fmt.Sprintf("%s: %v", strings.Join(cmd.Args, " "), err)
		if text := strings.TrimSpace(stderr.String()); text != "" {
			lines := strings.Split(text, "\n")
			msg += "\n" + strings.Join(lines[max(0, len(lines)-5):], "\n")
		}
		return nil, errors.New(msg)
	}
	return stdout.Bytes(), nil
}

func mib(kib int64) float64 { return float64(kib) / 1024 }
