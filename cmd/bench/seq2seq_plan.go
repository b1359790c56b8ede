package main

import (
	"bufio"
	"encoding/binary"
	"io"
	"math"
	"os"

	"github.com/gornn/gornn/datasets"
	"github.com/pkg/errors"
)

// The sequence-to-sequence benchmark's files: a plan of training batches
// with both sequences, and a list of sources to decode, both little-endian
// int32 after an 8-byte magic (torch_seq2seq.py reads the same layouts):
//
//	"GRNNS2SP", E; per epoch N; per batch B, S, T, source ids [B*S] padded
//	with 0, source lengths [B], decoder inputs [B*T], their lengths [B],
//	targets [B*T] (-100 where ignored)
//	"GRNNS2SD", N; per source its length and ids
const (
	seq2seqPlanMagic    = "GRNNS2SP"
	seq2seqSourcesMagic = "GRNNS2SD"
)

// int32Writer writes int32s after a magic.
type int32Writer struct {
	f   *os.File
	w   *bufio.Writer
	err error
	buf []byte
}

func newInt32Writer(path, magic string) (*int32Writer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	w := &int32Writer{f: f, w: bufio.NewWriter(f)}
	_, w.err = w.w.WriteString(magic)
	return w, nil
}

func (w *int32Writer) put(values ...int) {
	for _, v := range values {
		if w.err != nil {
			return
		}
		if v < math.MinInt32 || v > math.MaxInt32 {
			w.err = errors.Errorf("%d does not fit in int32", v)
			return
		}
		w.buf = binary.LittleEndian.AppendUint32(w.buf[:0], uint32(int32(v)))
		_, w.err = w.w.Write(w.buf)
	}
}

func (w *int32Writer) close() error {
	if w.err == nil {
		w.err = w.w.Flush()
	}
	if err := w.f.Close(); w.err == nil {
		w.err = err
	}
	return errors.Wrapf(w.err, "writing %s", w.f.Name())
}

// writeSeq2SeqPlan writes the batches of every epoch of plan.
func writeSeq2SeqPlan(path string, plan [][]datasets.Batch) error {
	w, err := newInt32Writer(path, seq2seqPlanMagic)
	if err != nil {
		return err
	}
	w.put(len(plan))
	for _, epoch := range plan {
		w.put(len(epoch))
		for _, b := range epoch {
			w.put(b.Size, b.Steps, b.Second.Steps)
			w.put(b.IDs...)
			w.put(b.Lengths...)
			w.put(b.Second.IDs...)
			w.put(b.Second.Lengths...)
			w.put(b.Second.Targets...)
		}
	}
	return w.close()
}

// writeSources writes token id sequences to decode.
func writeSources(path string, sources [][]int) error {
	w, err := newInt32Writer(path, seq2seqSourcesMagic)
	if err != nil {
		return err
	}
	w.put(len(sources))
	for _, s := range sources {
		w.put(len(s))
		w.put(s...)
	}
	return w.close()
}

// int32Reader reads int32s after a magic, refusing counts past a bound.
type int32Reader struct {
	r    *bufio.Reader
	word [4]byte
}

// maxInts bounds one count read from a file.
const maxInts = 1 << 26

func openInt32s(path, magic string) (*int32Reader, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	r := &int32Reader{r: bufio.NewReader(f)}
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(r.r, head); err != nil || string(head) != magic {
		f.Close()
		return nil, nil, errors.Errorf("%s: not a %s file", path, magic)
	}
	return r, f, nil
}

func (r *int32Reader) get(n int) ([]int, error) {
	if n < 0 || n > maxInts {
		return nil, errors.Errorf("bad count %d", n)
	}
	values := make([]int, n)
	for i := range values {
		if _, err := io.ReadFull(r.r, r.word[:]); err != nil {
			return nil, errors.Wrap(err, "truncated")
		}
		values[i] = int(int32(binary.LittleEndian.Uint32(r.word[:])))
	}
	return values, nil
}

func (r *int32Reader) one() (int, error) {
	v, err := r.get(1)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// readSeq2SeqPlan reads a plan written by writeSeq2SeqPlan.
func readSeq2SeqPlan(path string) ([][]datasets.Batch, error) {
	r, f, err := openInt32s(path, seq2seqPlanMagic)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	epochs, err := r.one()
	if err != nil {
		return nil, errors.Wrap(err, path)
	}
	plan := make([][]datasets.Batch, max(epochs, 0))
	for e := range plan {
		n, err := r.one()
		for i := 0; err == nil && i < n; i++ {
			var b datasets.Batch
			if b, err = readSeq2SeqBatch(r); err == nil {
				plan[e] = append(plan[e], b)
			}
		}
		if err != nil {
			return nil, errors.Wrapf(err, "%s: epoch %d", path, e+1)
		}
	}
	return plan, nil
}

func readSeq2SeqBatch(r *int32Reader) (datasets.Batch, error) {
	shape, err := r.get(3)
	if err != nil {
		return datasets.Batch{}, err
	}
	b, t := shape[0], shape[2]
	batch := datasets.Batch{Size: b, Steps: shape[1], Second: &datasets.Batch{Size: b, Steps: t}}
	if b < 1 || batch.Steps < 1 || t < 1 || b*max(batch.Steps, t) > maxInts {
		return batch, errors.Errorf("bad shape %v", shape)
	}
	for _, part := range []struct {
		dst *[]int
		n   int
	}{{&batch.IDs, b * batch.Steps}, {&batch.Lengths, b}, {&batch.Second.IDs, b * t}, {&batch.Second.Lengths, b}, {&batch.Second.Targets, b * t}} {
		if *part.dst, err = r.get(part.n); err != nil {
			return batch, err
		}
	}
	return batch, nil
}

// readSources reads sources written by writeSources.
func readSources(path string) ([][]int, error) {
	r, f, err := openInt32s(path, seq2seqSourcesMagic)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n, err := r.one()
	if err != nil || n < 0 {
		return nil, errors.Errorf("%s: bad count (%v)", path, err)
	}
	sources := make([][]int, n)
	for i := range sources {
		length, err := r.one()
		if err == nil {
			sources[i], err = r.get(length)
		}
		if err != nil {
			return nil, errors.Wrapf(err, "%s: source %d", path, i+1)
		}
	}
	return sources, nil
}
