package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gornn/gornn/internal/atomicfile"
	"github.com/gornn/gornn/internal/regularfile"
	"github.com/pkg/errors"
)

// A checkpoint (last/ or best/ of a run directory) is one unit: a folder
// written whole by atomicfile.WriteDir, so that a crash at any moment
// leaves the old checkpoint or the new one, and closed by a manifest,
// checkpoint.json, that lists every file of the folder with its size and
// SHA-256 (whatever files the model's Save writes, the trainer's own, and
// any a model adds), the epoch and step it holds and, in last/, the SHA-256
// of the metrics log's lines up to that epoch. Resume checks them all
// before it trusts the checkpoint.

// ManifestFile is the manifest of a checkpoint folder.
const ManifestFile = "checkpoint.json"

// checkpointFormat marks a manifest written by this version of gornn.
const checkpointFormat = "gornn-checkpoint/1"

// Limits on the run files Resume reads, which it opens only when they are
// regular files (internal/regularfile).
const (
	// MaxManifestBytes bounds checkpoint.json: 1 MiB.
	MaxManifestBytes = 1 << 20
	// MaxStateFileBytes bounds trainer_state.json: 256 MiB, room for the
	// confusion counts of thousands of classes.
	MaxStateFileBytes = 256 << 20
	// MaxMetricsLogBytes bounds metrics.jsonl: 1 GiB.
	MaxMetricsLogBytes = 1 << 30
)

// manifest is a checkpoint's checkpoint.json.
type manifest struct {
	Format string `json:"format"`
	Epoch  int    `json:"epoch"` // epochs the model has finished
	Step   int    `json:"step"`  // optimizer steps the model has taken
	// MetricsSHA256 is, in last/, the SHA-256 of the metrics log's first
	// Epoch lines, newlines included.
	MetricsSHA256 string    `json:"metrics_sha256,omitempty"`
	Files         []fileSum `json:"files"`
}

// fileSum is one file of a checkpoint.
type fileSum struct {
	Name   string `json:"name"` // slash-separated, relative to the folder
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// writeCheckpoint replaces the checkpoint folder dir, atomically, with
// what write puts in the empty folder it is given, and a manifest m
// listing those files.
func writeCheckpoint(dir string, m manifest, write func(dir string) error) error {
	return atomicfile.WriteDir(dir, func(tmp string) error {
		if err := write(tmp); err != nil {
			return err
		}
		files, err := sumFiles(tmp)
		if err != nil {
			return err
		}
		m.Format, m.Files = checkpointFormat, files
		return atomicfile.WriteJSON(filepath.Join(tmp, ManifestFile), m)
	})
}

// sumFiles returns the size and SHA-256 of every file under dir.
func sumFiles(dir string) ([]fileSum, error) {
	var files []fileSum
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !d.Type().IsRegular() {
			return errors.Errorf("%s is not a regular file", path)
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		size, err := io.Copy(h, f)
		if err != nil {
			return errors.Wrapf(err, "read %s", path)
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		files = append(files, fileSum{Name: filepath.ToSlash(rel), Size: size, SHA256: hex.EncodeToString(h.Sum(nil))})
		return nil
	})
	return files, errors.Wrap(err, "train: checkpoint manifest")
}

// errNoManifest is wrapped by readCheckpoint's error for a folder without
// checkpoint.json.
var errNoManifest = errors.New("no " + ManifestFile)

// readCheckpoint reads the manifest of the checkpoint folder dir and checks
// every file it lists: a regular file of the listed size and SHA-256. A
// missing folder's error satisfies errors.Is(err, fs.ErrNotExist); a folder
// without a manifest, errors.Is(err, errNoManifest).
func readCheckpoint(dir string) (manifest, error) {
	var m manifest
	if _, err := os.Stat(dir); err != nil {
		return m, err // an *fs.PathError, which names dir
	}
	path := filepath.Join(dir, ManifestFile)
	data, err := regularfile.ReadFile(path, MaxManifestBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return m, errors.Wrapf(errNoManifest, "train: checkpoint %s has", dir)
	}
	if err != nil {
		return m, errors.Wrap(err, "train: checkpoint")
	}
	if err := decodeStrict(data, &m); err != nil {
		return m, errors.Wrapf(err, "train: %s", path)
	}
	if m.Format != checkpointFormat {
		return m, errors.Errorf("train: %s: format %s, want %q", path, regularfile.Excerpt(m.Format), checkpointFormat)
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		if !filepath.IsLocal(filepath.FromSlash(f.Name)) || f.Name == ManifestFile || seen[f.Name] || f.Size < 0 {
			return m, errors.Errorf("train: %s: bad file entry %s", path, regularfile.Excerpt(f.Name))
		}
		seen[f.Name] = true
		if err := checkFile(filepath.Join(dir, filepath.FromSlash(f.Name)), f); err != nil {
			return m, errors.Wrapf(err, "train: checkpoint %s is damaged", dir)
		}
	}
	return m, nil
}

// checkFile reports whether the file at path has the size and SHA-256 of
// want.
func checkFile(path string, want fileSum) error {
	f, size, err := regularfile.Open(path, want.Size)
	if errors.Is(err, regularfile.ErrTooLarge) {
		return errors.Errorf("%s is larger than the %d bytes the manifest lists", path, want.Size)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if size != want.Size {
		return errors.Errorf("%s is %d bytes, the manifest lists %d", path, size, want.Size)
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, want.Size)); err != nil {
		return errors.Wrapf(err, "read %s", path)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want.SHA256 {
		return errors.Errorf("%s has SHA-256 %s, the manifest lists %s", path, got, regularfile.Excerpt(want.SHA256))
	}
	return nil
}

// decodeStrict decodes data, one JSON value with no unknown fields and
// nothing after it, into v.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

// metricsPrefix returns the first epochs lines of the metrics log at path
// (newlines included), all of the log, and the number of lines it holds
// (a torn last line not counted). A missing log holds no lines.
func metricsPrefix(path string, epochs int) (prefix, all []byte, lines int, err error) {
	all, err = regularfile.ReadFile(path, MaxMetricsLogBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, 0, nil
	}
	if err != nil {
		return nil, nil, 0, errors.Wrap(err, "train: reading the metrics log")
	}
	end := 0
	for lines < epochs {
		i := bytes.IndexByte(all[end:], '\n')
		if i < 0 {
			break
		}
		end += i + 1
		lines++
	}
	if lines == epochs {
		lines += bytes.Count(all[end:], []byte{'\n'})
	}
	return all[:end], all, lines, nil
}

// sha256Hex returns the SHA-256 of data in hex.
func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// RecoverRun readies the run directory dir to resume after any stop, a
// kill -9 included: it removes the temporary files and folders an
// interrupted write left, puts back a checkpoint folder whose replacement a
// crash cut in two, and checks last/ against its manifest (every file's
// size and SHA-256). Resume calls it; so may a program before it loads the
// model in last/. The error for a run stopped before its first checkpoint,
// or a checkpoint without a manifest, says so.
func RecoverRun(dir string) error {
	_, err := recoverRun(dir)
	return err
}

// recoverRun is RecoverRun, also returning last/'s manifest.
func recoverRun(dir string) (manifest, error) {
	if _, err := atomicfile.RemoveTemps(dir); err != nil {
		return manifest{}, errors.Wrap(err, "train")
	}
	for _, unit := range []string{LastDir, BestDir} {
		if err := atomicfile.RecoverDir(filepath.Join(dir, unit)); err != nil {
			return manifest{}, errors.Wrap(err, "train")
		}
	}
	last := filepath.Join(dir, LastDir)
	m, err := readCheckpoint(last)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return m, errors.Errorf("train: %s has no checkpoint (%s): the run stopped before saving its first one; start it again", dir, last)
	case errors.Is(err, errNoManifest):
		return m, errors.Errorf("train: %s has no %s, so it cannot be checked (written by a gornn older than checkpoint manifests?); start the run again", last, ManifestFile)
	}
	return m, err
}

// checkpointMismatch is the error of a checkpoint whose parts disagree.
func checkpointMismatch(dir, format string, args ...any) error {
	return errors.Errorf("train: resuming %s: %s; the run directory was changed by something other than its run, so it cannot continue exactly", dir, fmt.Sprintf(format, args...))
}

// bestCheck says how the best/ checkpoint agrees with a run's state.
func bestCheck(dir string, st runState, epochs []EpochMetrics) (resave bool, err error) {
	best := filepath.Join(dir, BestDir)
	m, err := readCheckpoint(best)
	switch {
	case st.BestSaved == 0:
		if !errors.Is(err, fs.ErrNotExist) {
			return false, checkpointMismatch(dir, "%s exists, but the run has saved no best model yet", best)
		}
		return false, nil
	case err == nil && m.Epoch == st.BestSaved:
		if m.Step != epochs[m.Epoch-1].Step {
			return false, checkpointMismatch(dir, "%s took %d steps, epoch %d of %s ended at step %d", best, m.Step, m.Epoch, MetricsFile, epochs[m.Epoch-1].Step)
		}
		return false, nil
	case st.BestSaved == st.Epoch && st.Batch == 0:
		// The run stopped between its last checkpoint and the best one it
		// records: the last model is that best one.
		return true, nil
	case err != nil:
		return false, errors.Wrapf(err, "train: resuming %s: the best model, epoch %d", dir, st.BestSaved)
	}
	return false, checkpointMismatch(dir, "%s holds epoch %d, the run's best is epoch %d", best, m.Epoch, st.BestSaved)
}
