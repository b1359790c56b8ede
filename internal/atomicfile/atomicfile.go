// Package atomicfile writes files and folders so that readers see either
// the old one or the whole new one, never a part: every checkpoint,
// vocabulary and download in gornn goes through it. RecoverDir and
// RemoveTemps clean up after a writer killed midway.
package atomicfile

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/pkg/errors"
)

// WriteFile creates or replaces the file at path with what write writes: it
// writes a temporary file in the same folder, syncs it, renames it over path
// and syncs the folder. When write (or any step) fails, path is untouched
// and no temporary file is left behind.
func WriteFile(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return errors.Wrapf(err, "write %s", path)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	buffered := bufio.NewWriter(tmp)
	if err := write(buffered); err != nil {
		return errors.Wrapf(err, "write %s", path)
	}
	if err := buffered.Flush(); err != nil {
		return errors.Wrapf(err, "write %s", path)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return errors.Wrapf(err, "write %s", path)
	}
	if err := tmp.Sync(); err != nil {
		return errors.Wrapf(err, "write %s", path)
	}
	if err := tmp.Close(); err != nil {
		return errors.Wrapf(err, "write %s", path)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return errors.Wrapf(err, "write %s", path)
	}
	return SyncDir(dir)
}

// SyncDir flushes a folder's entries, making a rename in it durable.
// Windows cannot sync folders and needs no such step.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return errors.Wrapf(err, "sync %s", dir)
	}
	defer d.Close()
	return errors.Wrapf(d.Sync(), "sync %s", dir)
}

// WriteJSON writes v to path as indented JSON, atomically as WriteFile
// does.
func WriteJSON(path string, v any) error {
	return WriteFile(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}
