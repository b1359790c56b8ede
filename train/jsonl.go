package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"

	"github.com/gornn/gornn/internal/atomicfile"
	"github.com/gornn/gornn/internal/regularfile"
	"github.com/pkg/errors"
)

// MetricsLog appends one JSON line of EpochMetrics per epoch to a file
// (metrics.jsonl), syncing each line to disk, so that a run killed at any
// moment leaves every finished epoch on record.
type MetricsLog struct {
	f    *os.File
	path string
}

// OpenMetricsLog opens the log at path for appending, creating it if
// needed. A last line left unfinished by a crash is cut off first, so that
// the next line starts on a line of its own.
func OpenMetricsLog(path string) (*MetricsLog, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, errors.Wrap(err, "train: opening the metrics log")
	}
	info, err := f.Stat()
	if err == nil && !info.Mode().IsRegular() {
		err = regularfile.ErrNotRegular
	}
	if err == nil {
		err = cutTornLine(f)
	}
	if err == nil {
		err = atomicfile.SyncDir(filepath.Dir(path)) // in case the file is new
	}
	if err != nil {
		f.Close()
		return nil, errors.Wrapf(err, "train: opening the metrics log %s", path)
	}
	return &MetricsLog{f: f, path: path}, nil
}

// cutTornLine truncates f after its last newline and moves to its end.
func cutTornLine(f *os.File) error {
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil || size == 0 {
		return err
	}
	// Look back block by block for the last newline.
	buf := make([]byte, 4096)
	end := size
	for end > 0 {
		start := max(end-int64(len(buf)), 0)
		chunk := buf[:end-start]
		if _, err := f.ReadAt(chunk, start); err != nil {
			return err
		}
		if i := bytes.LastIndexByte(chunk, '\n'); i >= 0 {
			end = start + int64(i) + 1
			break
		}
		end = start
	}
	if end == size {
		return nil
	}
	if err := f.Truncate(end); err != nil {
		return err
	}
	_, err = f.Seek(end, io.SeekStart)
	return err
}

// Append writes m as one line and syncs the file.
func (l *MetricsLog) Append(m EpochMetrics) error {
	line, err := json.Marshal(m)
	if err != nil {
		return errors.Wrapf(err, "train: metrics of epoch %d", m.Epoch)
	}
	if _, err := l.f.Write(append(line, '\n')); err != nil {
		return errors.Wrapf(err, "train: appending to %s", l.path)
	}
	return errors.Wrapf(l.f.Sync(), "train: syncing %s", l.path)
}

// Close closes the log.
func (l *MetricsLog) Close() error {
	return errors.Wrapf(l.f.Close(), "train: closing %s", l.path)
}

// ReadMetricsLog reads every epoch's metrics from the log at path, in file
// order. The log must be a regular file of at most MaxMetricsLogBytes. An
// unfinished last line (a crash while appending) is ignored; any other
// malformed line is an error naming the file and line. A missing file's
// error satisfies errors.Is(err, fs.ErrNotExist).
func ReadMetricsLog(path string) ([]EpochMetrics, error) {
	data, err := regularfile.ReadFile(path, MaxMetricsLogBytes)
	if err != nil {
		return nil, errors.Wrap(err, "train: reading the metrics log")
	}
	return parseMetricsLog(path, data)
}

// parseMetricsLog parses data, the contents of the metrics log at path, as
// ReadMetricsLog does.
func parseMetricsLog(path string, data []byte) ([]EpochMetrics, error) {
	if i := bytes.LastIndexByte(data, '\n'); i+1 < len(data) {
		data = data[:i+1] // drop a torn last line
	}
	var epochs []EpochMetrics
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var m EpochMetrics
		if err := json.Unmarshal(line, &m); err != nil {
			return nil, errors.Wrapf(err, "train: %s:%d", path, n)
		}
		epochs = append(epochs, m)
	}
	return epochs, nil
}

// WriteMetricsLog replaces the log at path with epochs, atomically; a
// resumed run uses it to drop the epochs after its checkpoint.
func WriteMetricsLog(path string, epochs []EpochMetrics) error {
	return atomicfile.WriteFile(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, m := range epochs {
			if err := enc.Encode(m); err != nil {
				return errors.Wrapf(err, "metrics of epoch %d", m.Epoch)
			}
		}
		return nil
	})
}
