//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gornn/gornn/train"
)

// childArgsEnv carries the command line of a training process that
// TestKillResume starts: the test binary itself, running TestTrainChild.
const childArgsEnv = "GORNN_TRAIN_CHILD_ARGS"

// TestTrainChild is not a test: it runs the command with the arguments in
// $GORNN_TRAIN_CHILD_ARGS, for TestKillResume to kill.
func TestTrainChild(t *testing.T) {
	encoded := os.Getenv(childArgsEnv)
	if encoded == "" {
		t.Skip("runs only as a child process of TestKillResume")
	}
	var args []string
	if err := json.Unmarshal([]byte(encoded), &args); err != nil {
		t.Fatal(err)
	}
	os.Args = append([]string{"train"}, args...)
	main() // exits
}

// killArgs is the run TestKillResume kills: four epochs of a small
// two-layer LSTM with dropout on two workers, validated every epoch, with a
// better validation accuracy (so a new best/) at each epoch after the first.
var killArgs = []string{"-builtin", "200", "-epochs", "4", "-embed", "8", "-hidden", "8", "-layers", "2", "-dropout", "0.3",
	"-batch", "8", "-lr", "0.03", "-seed", "5", "-workers", "2", "-quiet"}

// TestKillResume kills training processes with SIGKILL at random moments,
// resumes them until they finish, and checks that each run ends with the
// weights, optimizer state, best model and metrics of a run never killed,
// bit for bit. The kills come at random times, at random moments of a
// checkpoint write (when a temporary file or folder appears in the run
// directory), and during the save that a SIGINT starts. A run killed
// before its first checkpoint (or its run.json) may refuse to resume,
// saying so, and is started again. CI kills a few times; GORNN_KILL_TEST=1
// kills 150 times, and GORNN_KILL_SEED repeats a sequence of kills (as
// far as timing allows).
func TestKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("starts training processes")
	}
	kills := 4
	if os.Getenv("GORNN_KILL_TEST") == "1" {
		kills = 150
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("GORNN_KILL_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("GORNN_KILL_SEED: %v", err)
		}
	}
	t.Logf("GORNN_KILL_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 15))
	root := t.TempDir()

	ref := filepath.Join(root, "ref")
	started := time.Now()
	if out, err := startChild(t, append(slices.Clone(killArgs), "-out", ref)).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	span := time.Since(started)
	t.Logf("an uninterrupted run took %v", span.Round(time.Millisecond))

	var stats killStats
	for cycle := 0; stats.kills < kills; cycle++ {
		out := filepath.Join(root, fmt.Sprint("run", cycle))
		fresh := true
		for attempt := 0; ; attempt++ {
			if attempt > 4*kills+20 {
				t.Fatalf("run %d has not finished after %d attempts", cycle, attempt)
			}
			args := []string{"-resume", out, "-workers", "2", "-quiet"}
			if fresh {
				args = append(slices.Clone(killArgs), "-out", out, "-overwrite")
			}
			status, output := runAndKill(t, rng, startChild(t, args), out, span, &stats)
			switch {
			case status == "killed" || status == "interrupted":
				fresh = false
				continue
			case status == "exit 0":
			case !fresh && (status == "exit 1" && strings.Contains(output, "no checkpoint") ||
				status == "exit 2" && strings.Contains(output, "run.json: no such file")):
				stats.refusals++
				fresh = true
				continue
			default:
				t.Fatalf("run %d attempt %d (%q): %s\n%s", cycle, attempt, args, status, output)
			}
			break
		}
		sameRun(t, ref, out)
		stats.runs++
	}
	t.Logf("%d runs finished after %d kills: %d at a random time, %d aimed at a checkpoint write, %d during the save after SIGINT; "+
		"%d left a checkpoint write unfinished; %d SIGINTs saved before the kill; %d resumes refused (killed before the first checkpoint or run.json)",
		stats.runs, stats.kills, stats.byKind[0], stats.byKind[1], stats.byKind[2], stats.insideWrite, stats.interrupted, stats.refusals)
	if os.Getenv("GORNN_KILL_TEST") == "1" && stats.insideWrite == 0 {
		t.Error("no kill landed inside a checkpoint write")
	}
}

// startChild returns the command of a training process with args.
func startChild(t *testing.T, args []string) *exec.Cmd {
	t.Helper()
	encoded, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestTrainChild$")
	cmd.Env = append(os.Environ(), childArgsEnv+"="+string(encoded))
	return cmd
}

// killStats counts what TestKillResume did.
type killStats struct {
	runs, kills, refusals int
	byKind                [3]int // random time, checkpoint write, after SIGINT
	insideWrite           int    // kills that left a temporary or old file or folder
	interrupted           int    // SIGINTs that finished saving before the kill
}

// runAndKill starts cmd and kills it one of three ways, picked at random
// (see TestKillResume); span is how long a whole run takes. It returns
// "killed", "interrupted" (exit status 130) or "exit N", with the output.
func runAndKill(t *testing.T, rng *rand.Rand, cmd *exec.Cmd, out string, span time.Duration, stats *killStats) (string, string) {
	t.Helper()
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	before := leftovers(out)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	kind := rng.IntN(3)
	deadline := time.After(span + span/2)
	switch kind {
	case 0:
		time.Sleep(time.Duration(rng.Int64N(int64(span + span/4))))
	case 1:
		waitForWrite(out, 1+rng.IntN(8), deadline, done)
		time.Sleep(time.Duration(rng.Int64N(int64(2 * time.Millisecond))))
	case 2:
		time.Sleep(time.Duration(rng.Int64N(int64(span))))
		cmd.Process.Signal(os.Interrupt)
		time.Sleep(time.Duration(rng.Int64N(int64(span / 10))))
	}
	cmd.Process.Kill() // an error when it has exited: nothing to kill
	<-done
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case ws.Signaled(): // SIGKILL, or a SIGINT before the command handles it
		stats.kills++
		stats.byKind[kind]++
		for _, name := range leftovers(out) {
			if !slices.Contains(before, name) {
				stats.insideWrite++
				break
			}
		}
		return "killed", output.String()
	case ws.Exited() && ws.ExitStatus() == exitInterrupted+int(syscall.SIGINT):
		stats.interrupted++
		return "interrupted", output.String()
	}
	return fmt.Sprintf("exit %d", cmd.ProcessState.ExitCode()), output.String()
}

// waitForWrite returns when the n-th distinct temporary file or folder has
// appeared in dir, when the process is done, or at the deadline.
func waitForWrite(dir string, n int, deadline <-chan time.Time, done <-chan struct{}) {
	seen := map[string]bool{}
	for {
		select {
		case <-deadline:
			return
		case <-done:
			return
		default:
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if name := e.Name(); strings.Contains(name, ".tmp-") && !seen[name] {
				if seen[name] = true; len(seen) == n {
					return
				}
			}
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// leftovers returns what unfinished writes left in dir: temporary or old
// files and folders.
func leftovers(dir string) []string {
	var names []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if name := e.Name(); strings.HasPrefix(name, ".") && (strings.Contains(name, ".tmp-") || strings.HasSuffix(name, ".old")) {
			names = append(names, name)
		}
	}
	return names
}

// sameRun checks that the finished run in dir ended like the one in ref:
// the same bytes in last/ and best/ (but the manifest, which holds a hash of
// the metrics log and its timings), the same metrics but for timings, and
// nothing left over.
func sameRun(t *testing.T, ref, dir string) {
	t.Helper()
	for _, f := range []string{"last/model.safetensors", "last/optimizer.safetensors", "last/trainer_state.json", "last/config.json",
		"last/vocab.txt", "best/model.safetensors", "best/config.json", "best/vocab.txt"} {
		want, err := os.ReadFile(filepath.Join(ref, f))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %s differs from the run never killed", dir, f)
		}
	}
	want, err := train.ReadMetricsLog(filepath.Join(ref, train.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	got, err := train.ReadMetricsLog(filepath.Join(dir, train.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	untimed := func(epochs []train.EpochMetrics) string {
		for i := range epochs {
			epochs[i].Seconds, epochs[i].TokensPerSec = 0, 0
		}
		data, _ := json.Marshal(epochs)
		return string(data)
	}
	if a, b := untimed(got), untimed(want); a != b {
		t.Errorf("%s: metrics differ from the run never killed:\n%s\n%s", dir, a, b)
	}
	if names := leftovers(dir); len(names) > 0 {
		t.Errorf("%s: %v left behind", dir, names)
	}
}
