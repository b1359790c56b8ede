package graph

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// helperSpin is how long the helper goroutine keeps polling for a task
// after its last one before it parks.
const helperSpin = time.Millisecond

// helper is a goroutine that runs one task at a time for kernels that
// split their work in two (pairDirections). After each task it polls for
// the next one for helperSpin, yielding to other goroutines, before it
// parks on the channel: on this project's 2-core virtual machine, waking
// a parked thread took 80-150 µs, most of a recurrent layer's pass for
// one text, while a task handed to a polling helper starts at once. A
// millisecond covers the gap between the layers of one text and between
// back-to-back texts (with 200 µs, the batch-1 BiLSTM's 90th percentile
// latency in cmd/bench was 1.10 ms against a median of 0.60; with 1 ms,
// 0.63 against 0.54).
var helper struct {
	start sync.Once
	busy  atomic.Bool // a task is handed over and not yet done
	tasks chan func()
}

// runHelper runs the helper's tasks, forever.
func runHelper() {
	last := time.Now()
	for {
		select {
		case task := <-helper.tasks:
			task()
			last = time.Now()
			continue
		default:
		}
		if time.Since(last) < helperSpin {
			runtime.Gosched()
			continue
		}
		task := <-helper.tasks
		task()
		last = time.Now()
	}
}

// tryHelp runs task on the helper goroutine and returns a channel closed
// when it is done, or returns nil, running nothing, when the helper has
// a task already (another graph running at the same time): the caller
// then runs it itself rather than wait.
func tryHelp(task func()) chan struct{} {
	helper.start.Do(func() {
		helper.tasks = make(chan func(), 1)
		go runHelper()
	})
	if !helper.busy.CompareAndSwap(false, true) {
		return nil
	}
	done := make(chan struct{})
	helper.tasks <- func() {
		defer close(done)
		defer helper.busy.Store(false)
		task()
	}
	return done
}
