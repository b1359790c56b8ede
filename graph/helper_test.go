package graph

import "testing"

// TestTryHelpRefusesWhenBusy checks that the helper takes one task at a
// time: while it runs one, tryHelp hands over nothing and returns nil, so
// that the caller runs its task itself rather than wait; once the task is
// done, the helper takes the next.
func TestTryHelpRefusesWhenBusy(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	first := tryHelp(func() { close(started); <-release })
	if first == nil {
		t.Fatal("an idle helper refused a task")
	}
	<-started
	if second := tryHelp(func() { t.Error("a busy helper ran a second task") }); second != nil {
		t.Error("a busy helper took a second task")
	}
	close(release)
	<-first
	ran := false
	third := tryHelp(func() { ran = true })
	if third == nil {
		t.Fatal("the helper refused a task after finishing the last")
	}
	<-third
	if !ran {
		t.Error("the helper did not run the task it took")
	}
}
