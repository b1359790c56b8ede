//go:build !mpi

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestMPIWithoutTheTag checks that a binary built without -tags mpi
// refuses -mpi, saying how to build one that can.
func TestMPIWithoutTheTag(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-mpi", "-builtin", "40"}, &stdout, &stderr); code != exitUsage {
		t.Errorf("exit status %d, want %d", code, exitUsage)
	}
	if !strings.Contains(stderr.String(), "go build -tags mpi") {
		t.Errorf("the refusal does not say how to build with MPI:\n%s", stderr.String())
	}
}
