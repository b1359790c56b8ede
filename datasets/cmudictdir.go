package datasets

import (
	"os"
	"path/filepath"
)

// The files of the project's split of the CMU Pronouncing Dictionary (see
// the README next to them): pronunciations of disjoint sets of words, every
// pronunciation of a word in the same file.
const (
	CMUdictTrain = "cmudict-train.txt"
	CMUdictDev   = "cmudict-dev.txt"
	CMUdictTest  = "cmudict-test.txt"
)

// CMUdictDir returns the folder of the project's CMUdict split and whether
// it exists: $GORNN_CMUDICT when set, else shared/data/cmudict beside the
// module's checkout (../shared/data/cmudict from the module root).
func CMUdictDir() (string, bool) {
	dir := os.Getenv("GORNN_CMUDICT")
	if dir == "" {
		root, ok := moduleRoot()
		if !ok {
			return filepath.Join("..", "shared", "data", "cmudict"), false
		}
		dir = filepath.Join(root, "..", "shared", "data", "cmudict")
	}
	info, err := os.Stat(filepath.Join(dir, CMUdictTrain))
	return dir, err == nil && info.Mode().IsRegular()
}
