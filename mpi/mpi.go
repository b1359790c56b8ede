//go:build mpi

package mpi

/*
#cgo pkg-config: mpi
#include <stdlib.h>
#include <mpi.h>

// The handshake's tag; nothing else in gornn sends point to point.
#define GORNN_TAG_HEADER 7301

static int gornn_init(int *provided) {
	int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, provided);
	if (rc != MPI_SUCCESS) return rc;
	return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

static size_t gornn_request_size(void) { return sizeof(MPI_Request); }
static int gornn_rank(int *rank) { return MPI_Comm_rank(MPI_COMM_WORLD, rank); }
static int gornn_size(int *size) { return MPI_Comm_size(MPI_COMM_WORLD, size); }
static int gornn_finalize(void) { return MPI_Finalize(); }
static void gornn_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

static void gornn_error_string(int rc, char *buf, int cap) {
	int len = 0;
	if (MPI_Error_string(rc, buf, &len) != MPI_SUCCESS || len >= cap) len = 0;
	buf[len] = 0;
}

// gornn_post_headers receives hdr[2r], hdr[2r+1] from every rank r but me
// (requests 0 to n-2, in rank order) and sends hdr[2me], hdr[2me+1] to
// each (requests n-1 to 2n-3).
static int gornn_post_headers(long long *hdr, int me, int n, MPI_Request *reqs) {
	int k = 0, rc;
	for (int r = 0; r < n; r++) {
		if (r == me) continue;
		rc = MPI_Irecv(&hdr[2*r], 2, MPI_LONG_LONG, r, GORNN_TAG_HEADER, MPI_COMM_WORLD, &reqs[k++]);
		if (rc != MPI_SUCCESS) return rc;
	}
	for (int r = 0; r < n; r++) {
		if (r == me) continue;
		rc = MPI_Isend(&hdr[2*me], 2, MPI_LONG_LONG, r, GORNN_TAG_HEADER, MPI_COMM_WORLD, &reqs[k++]);
		if (rc != MPI_SUCCESS) return rc;
	}
	return MPI_SUCCESS;
}

// gornn_test_each tests the requests not yet done, setting done[i].
static int gornn_test_each(MPI_Request *reqs, int count, int *done) {
	for (int i = 0; i < count; i++) {
		if (done[i]) continue;
		int rc = MPI_Test(&reqs[i], &done[i], MPI_STATUS_IGNORE);
		if (rc != MPI_SUCCESS) return rc;
	}
	return MPI_SUCCESS;
}

static int gornn_allgatherv_bytes(void *send, int count, void *recv, int *counts, int *displs) {
	return MPI_Allgatherv(send, count, MPI_BYTE, recv, counts, displs, MPI_BYTE, MPI_COMM_WORLD);
}

static int gornn_allgatherv_floats(void *send, int count, void *recv, int *counts, int *displs) {
	return MPI_Allgatherv(send, count, MPI_FLOAT, recv, counts, displs, MPI_FLOAT, MPI_COMM_WORLD);
}

static int gornn_alltoallv_floats(void *send, int *scounts, int *sdispls, void *recv, int *rcounts, int *rdispls) {
	return MPI_Alltoallv(send, scounts, sdispls, MPI_FLOAT, recv, rcounts, rdispls, MPI_FLOAT, MPI_COMM_WORLD);
}
*/
import "C"

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/pkg/errors"
)

// Options are the settings of Init; the zero value gives the defaults.
type Options struct {
	// Timeout is how long a collective waits for the other ranks before
	// it fails, naming those it waited for. Default 0: forever.
	Timeout time.Duration
}

// World is every rank of the MPI job (MPI_COMM_WORLD) as a train.Group.
// Its methods are collective: every rank calls them in the same order.
// It is not safe for concurrent use.
type World struct {
	rank, size int
	timeout    time.Duration
	exchanges  int // handshakes so far, for messages

	header unsafe.Pointer // C memory: 2 int64 per rank
	reqs   unsafe.Pointer // C memory: 2(size-1) MPI_Requests
	done   []C.int

	watched context.Context // the local context Watch was given, or nil
	stop    context.CancelFunc
}

var (
	initOnce  sync.Once
	initWorld *World
	initErr   error
)

// Init starts MPI in this process (MPI_Init_thread, asking for
// MPI_THREAD_SERIALIZED; MPI errors are returned, not fatal) and returns
// the world. It may be called more than once; MPI starts once.
func Init(opts Options) (*World, error) {
	initOnce.Do(func() { initWorld, initErr = start() })
	if initErr != nil {
		return nil, initErr
	}
	initWorld.timeout = opts.Timeout
	return initWorld, nil
}

func start() (*World, error) {
	var provided C.int
	if rc := C.gornn_init(&provided); rc != C.MPI_SUCCESS {
		return nil, mpiError(rc, "MPI_Init_thread")
	}
	if provided < C.MPI_THREAD_SERIALIZED {
		return nil, errors.New("mpi: the MPI library does not allow calls from several threads (MPI_THREAD_SERIALIZED), which Go's scheduler needs")
	}
	w := &World{}
	var rank, size C.int
	if rc := C.gornn_rank(&rank); rc != C.MPI_SUCCESS {
		return nil, mpiError(rc, "MPI_Comm_rank")
	}
	if rc := C.gornn_size(&size); rc != C.MPI_SUCCESS {
		return nil, mpiError(rc, "MPI_Comm_size")
	}
	w.rank, w.size = int(rank), int(size)
	w.header = C.calloc(C.size_t(2*w.size), C.size_t(unsafe.Sizeof(C.longlong(0))))
	w.reqs = C.calloc(C.size_t(max(1, 2*(w.size-1))), C.gornn_request_size())
	w.done = make([]C.int, 2*(w.size-1))
	return w, nil
}

// Launched reports whether this process was started by an MPI launcher
// (mpirun, mpiexec, srun), from the environment variables they set.
func Launched() bool {
	for _, name := range []string{"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"} {
		if os.Getenv(name) != "" {
			return true
		}
	}
	return false
}

// Rank returns this process's rank, 0 to Size()-1.
func (w *World) Rank() int { return w.rank }

// Size returns the number of ranks.
func (w *World) Size() int { return w.size }

// Watch returns a context cancelled on every rank after the same
// AllGather, the first one after ctx is cancelled on any rank: give it to
// train.Trainer.Fit, so that a SIGINT or SIGTERM (which mpirun passes on
// to every rank, one rank at a time) stops every rank before the same
// batch.
func (w *World) Watch(ctx context.Context) context.Context {
	agreed, stop := context.WithCancel(context.Background())
	w.watched, w.stop = ctx, stop
	return agreed
}

// Finalize shuts MPI down (MPI_Finalize). Every rank calls it, after its
// last collective.
func (w *World) Finalize() error {
	if w.stop != nil {
		w.stop()
	}
	if rc := C.gornn_finalize(); rc != C.MPI_SUCCESS {
		return mpiError(rc, "MPI_Finalize")
	}
	return nil
}

// Abort ends every rank of the job with exit status code (MPI_Abort):
// what a rank does when it fails alone, since the others would wait for
// it forever. It does not return.
func (w *World) Abort(code int) {
	C.gornn_abort(C.int(code))
	os.Exit(code) // MPI_Abort returned: end this rank at least
}

// AllGather returns every rank's data, of any length, in rank order, on
// every rank.
func (w *World) AllGather(data []byte) ([][]byte, error) {
	lengths, err := w.handshake(len(data))
	if err != nil {
		return nil, err
	}
	counts, displs, total := make([]C.int, w.size), make([]C.int, w.size), 0
	for r, n := range lengths {
		if total+n > math.MaxInt32 {
			return nil, errors.Errorf("mpi: gathering %d bytes and more: over MPI's 2 GiB count limit", total+n)
		}
		counts[r], displs[r] = C.int(n), C.int(total)
		total += n
	}
	all := make([]byte, max(total, 1))
	send := data
	if len(send) == 0 {
		send = all[:1] // any valid address for a count of 0
	}
	err = w.blocking("MPI_Allgatherv of the step summaries", func() C.int {
		return C.gornn_allgatherv_bytes(unsafe.Pointer(&send[0]), C.int(len(data)), unsafe.Pointer(&all[0]), &counts[0], &displs[0])
	})
	if err != nil {
		return nil, err
	}
	out := make([][]byte, w.size)
	for r := range out {
		out[r] = all[displs[r] : int(displs[r])+int(counts[r])]
	}
	return out, nil
}

// SumFloat32 replaces x, the same length on every rank, with the
// elementwise sum over the ranks of their x, in rank order: a
// reduce-scatter (MPI_Ialltoallv, then each rank adds the copies of its
// chunk in rank order) and an all-gather of the summed chunks
// (MPI_Iallgatherv).
func (w *World) SumFloat32(x []float32) error {
	if w.size == 1 || len(x) == 0 {
		return nil
	}
	if len(x) > math.MaxInt32 {
		return errors.Errorf("mpi: summing %d floats: over MPI's count limit", len(x))
	}
	n := len(x)
	from, to := chunk(n, w.size, w.rank)
	mine := to - from
	sendCounts, sendDispls := make([]C.int, w.size), make([]C.int, w.size)
	recvCounts, recvDispls := make([]C.int, w.size), make([]C.int, w.size)
	for r := range w.size {
		f, t := chunk(n, w.size, r)
		sendCounts[r], sendDispls[r] = C.int(t-f), C.int(f)
		recvCounts[r], recvDispls[r] = C.int(mine), C.int(r*mine)
	}
	copies := make([]float32, max(w.size*mine, 1))
	err := w.blocking("MPI_Alltoallv of the gradients", func() C.int {
		return C.gornn_alltoallv_floats(unsafe.Pointer(&x[0]), &sendCounts[0], &sendDispls[0], unsafe.Pointer(&copies[0]), &recvCounts[0], &recvDispls[0])
	})
	if err != nil {
		return err
	}
	parts := make([][]float32, w.size)
	for r := range parts {
		parts[r] = copies[r*mine : (r+1)*mine]
	}
	sum := make([]float32, max(mine, 1))
	sumInOrder(sum[:mine], parts)
	return w.blocking("MPI_Allgatherv of the summed gradients", func() C.int {
		return C.gornn_allgatherv_floats(unsafe.Pointer(&sum[0]), C.int(mine), unsafe.Pointer(&x[0]), &sendCounts[0], &sendDispls[0])
	})
}

// handshake sends every other rank the length of this rank's next message
// and its stop flag, and returns every rank's length. A rank that does
// not answer within the timeout is named in the error. When any rank's
// watched context is cancelled, the context Watch returned is cancelled
// on every rank.
func (w *World) handshake(length int) ([]int, error) {
	w.exchanges++
	hdr := unsafe.Slice((*C.longlong)(w.header), 2*w.size)
	hdr[2*w.rank] = C.longlong(length)
	hdr[2*w.rank+1] = 0
	if w.watched != nil && w.watched.Err() != nil {
		hdr[2*w.rank+1] = 1
	}
	if w.size > 1 {
		reqs := (*C.MPI_Request)(w.reqs)
		if rc := C.gornn_post_headers((*C.longlong)(w.header), C.int(w.rank), C.int(w.size), reqs); rc != C.MPI_SUCCESS {
			return nil, mpiError(rc, "MPI_Isend/MPI_Irecv")
		}
		clear(w.done)
		count := len(w.done)
		err := w.poll(func() (bool, error) {
			if rc := C.gornn_test_each(reqs, C.int(count), &w.done[0]); rc != C.MPI_SUCCESS {
				return false, mpiError(rc, "MPI_Test")
			}
			for _, d := range w.done {
				if d == 0 {
					return false, nil
				}
			}
			return true, nil
		}, func() string {
			var missing []string
			for i := 0; i < w.size-1; i++ { // the receives, in rank order, skipping this rank
				if w.done[i] == 0 {
					r := i
					if r >= w.rank {
						r++
					}
					missing = append(missing, fmt.Sprint(r))
				}
			}
			if len(missing) == 0 {
				return "the other ranks to take its step summary"
			}
			return "rank " + strings.Join(missing, ", rank ") + " (stopped, stuck or gone)"
		})
		if err != nil {
			return nil, err
		}
	}
	lengths := make([]int, w.size)
	stop := false
	for r := range lengths {
		lengths[r] = int(hdr[2*r])
		stop = stop || hdr[2*r+1] != 0
	}
	if stop && w.stop != nil {
		w.stop()
	}
	return lengths, nil
}

// blocking makes the blocking MPI call call, named what. The handshake
// before it found every rank there, so it completes unless a rank dies or
// stops in between: after the world's timeout a watchdog ends this rank
// (which makes mpirun end the job), since the call cannot be abandoned.
func (w *World) blocking(what string, call func() C.int) error {
	if w.timeout > 0 {
		watchdog := time.AfterFunc(w.timeout, func() {
			fmt.Fprintf(os.Stderr, "mpi: rank %d of %d waited %v in %s, after exchange %d found every rank there: a rank stopped or died since; ending this rank, and so the job\n",
				w.rank, w.size, w.timeout, what, w.exchanges)
			os.Exit(1)
		})
		defer watchdog.Stop()
	}
	if rc := call(); rc != C.MPI_SUCCESS {
		return mpiError(rc, what)
	}
	return nil
}

// poll calls test until it reports done: at once again for the first
// spinFor, then sleeping between calls (from 20 µs, doubling up to 500
// µs), so that a rank waiting for a slower one leaves the CPU to others.
// It fails after the world's timeout with an error saying whom it waited
// for.
func (w *World) poll(test func() (bool, error), waitingFor func() string) error {
	started := time.Now()
	pause := 10 * time.Microsecond
	for {
		done, err := test()
		if err != nil || done {
			return err
		}
		waited := time.Since(started)
		if w.timeout > 0 && waited > w.timeout {
			return errors.Errorf("mpi: rank %d of %d waited %v at exchange %d for %s", w.rank, w.size, w.timeout, w.exchanges, waitingFor())
		}
		if waited < spinFor {
			runtime.Gosched()
			continue
		}
		pause = min(2*pause, 500*time.Microsecond)
		time.Sleep(pause)
	}
}

// spinFor is how long a wait polls without sleeping: about the time a
// handshake takes once every rank is there.
const spinFor = 50 * time.Microsecond

// mpiError is the error of an MPI call that returned rc.
func mpiError(rc C.int, call string) error {
	buf := (*C.char)(C.malloc(C.MPI_MAX_ERROR_STRING + 1))
	defer C.free(unsafe.Pointer(buf))
	C.gornn_error_string(rc, buf, C.MPI_MAX_ERROR_STRING+1)
	return errors.Errorf("mpi: %s: %s (error %d)", call, C.GoString(buf), int(rc))
}
