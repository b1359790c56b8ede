package main

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

// scripts are the PyTorch side, written next to the run directories so
// that the command works from any directory.
//
//go:embed torch_bench.py gornn_torch.py
var scripts embed.FS

// report is everything a benchmark measured: what the tables show, and
// what -json writes.
type report struct {
	Setup    setup             `json:"setup"`
	Speed    []measurement     `json:"speed,omitempty"`
	Accuracy []measurement     `json:"accuracy,omitempty"`
	Configs  map[string]string `json:"configs"` // name -> description
}

// measurement is the runs of one config in one mode, in run order.
type measurement struct {
	Config  string   `json:"config"`
	Mode    string   `json:"mode"`
	Gornn   []result `json:"gornn"`
	PyTorch []result `json:"pytorch,omitempty"`
}

// bench prepares the data and the run directories, runs both sides and
// prints the report.
func bench(o options, stdout, stderr io.Writer) error {
	s := describeMachine(o)
	data, err := prepare(o, &s)
	if err != nil {
		return err
	}
	tmp := o.workdir
	if tmp == "" {
		if tmp, err = os.MkdirTemp("", "gornn-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
	} else if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
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
		s.PyTorch.Env = strings.Join(r.torchEnv, " ")
	}
	rep := report{Setup: s, Configs: map[string]string{}}
	epochs := 1
	if o.accuracy {
		epochs = o.epochs
	}
	for _, c := range o.configs {
		dir := filepath.Join(tmp, c.name)
		if err := writeRun(dir, c, data, o, epochs); err != nil {
			return errors.Wrap(err, c.name)
		}
		rep.Configs[c.name] = c.String()
		if o.accuracy {
			m, err := r.pair(c.name, modeAccuracy, dir, 1)
			if err != nil {
				return err
			}
			rep.Accuracy = append(rep.Accuracy, m)
			continue
		}
		for _, mode := range o.modes {
			m, err := r.pair(c.name, mode, dir, o.repeats)
			if err != nil {
				return err
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
	plan, err := makePlan(data.Train, datasets.BatcherOptions{BatchSize: c.batch, Shuffle: true, Bucket: o.bucket, Seed: o.seed}, epochs)
	if err != nil {
		return err
	}
	if err := writePlan(filepath.Join(dir, trainPlan), plan); err != nil {
		return err
	}
	if data.Val == nil {
		return nil
	}
	if plan, err = makePlan(data.Val, datasets.BatcherOptions{BatchSize: c.batch}, 1); err != nil {
		return err
	}
	return writePlan(filepath.Join(dir, evalPlan), plan)
}

// runner starts the measured processes.
type runner struct {
	self     string // this executable, re-run with -worker
	python   string
	script   string // torch_bench.py
	threads  string
	steps    string
	torchEnv []string      // PyTorch's environment, see torchEnv
	torch    bool          // whether PyTorch runs
	idleWait time.Duration // see waitIdle
	log      io.Writer     // progress
}

// newRunner writes the PyTorch scripts into dir.
func newRunner(o options, dir string, log io.Writer) (*runner, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"torch_bench.py", "gornn_torch.py"} {
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
		torchEnv: torchEnv(o.threads),
	}, nil
}

// torchEnv returns the environment variables PyTorch runs with: its
// OpenMP threads, and OpenBLAS on one thread unless OPENBLAS_NUM_THREADS
// is already set. Debian's default libblas is OpenBLAS with its own
// pthread pool, whose spinning threads on top of torch's OpenMP threads
// oversubscribe the cores: with 2 threads a GRU h128 b64 training step
// took 350 ms against 150 ms with OpenBLAS on one thread (and 215 ms with
// torch on one thread). torch parallelises its own operations either way.
func torchEnv(threads int) []string {
	env := []string{"OMP_NUM_THREADS=" + strconv.Itoa(threads)}
	if os.Getenv("OPENBLAS_NUM_THREADS") == "" {
		env = append(env, "OPENBLAS_NUM_THREADS=1")
	}
	return env
}

// torchInfo describes the PyTorch installation, as torch_bench.py --info
// reports it.
type torchInfo struct {
	Version string `json:"torch"`
	Python  string `json:"python"`
	BLAS    string `json:"blas"`
	Env     string `json:"env"` // the variables cmd/bench set
}

// probe checks that the interpreter can import torch; on success the
// runner runs PyTorch too.
func (r *runner) probe() (*torchInfo, error) {
	cmd := exec.Command(r.python, r.script, "--info")
	cmd.Env = append(os.Environ(), r.torchEnv...)
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

// pair runs config name in mode repeats times on each side, alternating
// which goes first, and logs each repeat.
func (r *runner) pair(name, mode, dir string, repeats int) (measurement, error) {
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
			res, err := r.measure(side, mode, dir)
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

// measure runs one side once, in its own process, and adds its peak RSS
// (Linux's ru_maxrss, in KiB) to what it reports.
func (r *runner) measure(side, mode, dir string) (result, error) {
	var cmd *exec.Cmd
	if side == "gornn" {
		cmd = exec.Command(r.self, "-worker", mode, "-dir", dir, "-threads", r.threads, "-steps", r.steps)
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+r.threads)
	} else {
		cmd = exec.Command(r.python, r.script, "--mode", mode, "--dir", dir, "--threads", r.threads, "--steps", r.steps)
		cmd.Env = append(os.Environ(), r.torchEnv...)
	}
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
