package datasets

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// modulePath is the module whose root AGNewsDir looks for.
const modulePath = "github.com/gornn/gornn"

// AGNewsDir returns the folder of the shared real AG News data and whether it
// exists: $GORNN_AG_NEWS if set, else <root>/../shared/data/ag_news where
// <root> is the folder of this module's go.mod, found by walking up from the
// working directory (tests run in the package folder). The path is returned
// even when absent, for messages.
func AGNewsDir() (string, bool) {
	dir := os.Getenv("GORNN_AG_NEWS")
	if dir == "" {
		root, ok := moduleRoot()
		if !ok {
			return filepath.Join("..", "shared", "data", "ag_news"), false
		}
		dir = filepath.Join(root, "..", "shared", "data", "ag_news")
	}
	info, err := os.Stat(dir)
	return dir, err == nil && info.IsDir()
}

// moduleRoot walks up from the working directory to the folder whose go.mod
// declares modulePath.
func moduleRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if declaresModule(filepath.Join(dir, "go.mod")) {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// declaresModule reports whether the go.mod file at path declares modulePath.
func declaresModule(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		if fields := strings.Fields(lines.Text()); len(fields) == 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == modulePath
		}
	}
	return false
}
