package atomicfile

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
)

// WriteDir creates or replaces the folder at path with what write puts in
// the empty folder it is given, so that path holds either the old folder or
// the whole new one: write fills a temporary folder beside path, which is
// synced and then renamed to path. A folder cannot be renamed over another,
// so an old path is first renamed aside (to ".<name>.old") and removed
// after the new one is in place; RecoverDir puts it back when a crash came
// between the two renames. When write (or any step) fails, path is
// untouched and the temporary folder removed. write should write its files
// through WriteFile, which syncs each one.
func WriteDir(path string, write func(dir string) error) (err error) {
	parent, base := filepath.Split(filepath.Clean(path))
	if parent == "" {
		parent = "."
	}
	if err := RecoverDir(path); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-*")
	if err != nil {
		return errors.Wrapf(err, "write %s", path)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return errors.Wrapf(err, "write %s", path)
	}
	if err := write(tmp); err != nil {
		return errors.Wrapf(err, "write %s", path)
	}
	if err := SyncDir(tmp); err != nil {
		return errors.Wrapf(err, "write %s", path)
	}
	old := oldPath(path)
	switch _, err := os.Lstat(path); {
	case err == nil:
		if err := os.Rename(path, old); err != nil {
			return errors.Wrapf(err, "write %s", path)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return errors.Wrapf(err, "write %s", path)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Rename(old, path)
		return errors.Wrapf(err, "write %s", path)
	}
	if err := SyncDir(parent); err != nil {
		return err
	}
	return errors.Wrapf(os.RemoveAll(old), "write %s: removing the old folder", path)
}

// oldPath is where WriteDir moves the old folder at path while it puts the
// new one in place.
func oldPath(path string) string {
	parent, base := filepath.Split(filepath.Clean(path))
	return filepath.Join(parent, "."+base+".old")
}

// RecoverDir finishes what a WriteDir of path stopped by a crash left: when
// path is missing and its old folder is beside it (the crash came between
// WriteDir's two renames), the old folder goes back to path; otherwise a
// leftover old folder is removed. The temporary folder of the unfinished
// write is RemoveTemps's to remove.
func RecoverDir(path string) error {
	old := oldPath(path)
	if _, err := os.Lstat(old); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	switch _, err := os.Lstat(path); {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Rename(old, path); err != nil {
			return errors.Wrapf(err, "recover %s", path)
		}
		return SyncDir(filepath.Dir(filepath.Clean(path)))
	case err != nil:
		return errors.Wrapf(err, "recover %s", path)
	}
	return errors.Wrapf(os.RemoveAll(old), "recover %s: removing the old folder", path)
}

// RemoveTemps removes from the folder dir the temporary files and folders
// that a WriteFile or WriteDir stopped by a crash left there (named
// ".<name>.tmp-<random>"), and returns their names. Only the process that
// writes into dir should call it, before it writes.
func RemoveTemps(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrapf(err, "remove temporary files in %s", dir)
	}
	var removed []string
	for _, e := range entries {
		if name := e.Name(); strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-") {
			if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
				return removed, errors.Wrapf(err, "remove temporary files in %s", dir)
			}
			removed = append(removed, name)
		}
	}
	return removed, nil
}
