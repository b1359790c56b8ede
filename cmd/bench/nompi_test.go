//go:build !mpi

package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestMPIWithoutTheTag checks that a worker built without -tags mpi
// refuses -mpi, saying how to run the mpi mode.
func TestMPIWithoutTheTag(t *testing.T) {
	var stderr bytes.Buffer
	code := run([]string{"-worker", modeTrain, "-dir", t.TempDir(), "-mpi"}, &bytes.Buffer{}, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), "-tags mpi") {
		t.Errorf("exit status %d, stderr %q: want %d and how to build with MPI", code, stderr.String(), exitUsage)
	}
}
