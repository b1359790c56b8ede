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

// A plan file holds the exact batches both sides run, epoch by epoch, so
// that gornn and PyTorch do the same work. It is little-endian int32
// throughout, after an 8-byte magic:
//
//	"GRNNPLAN", version (1, or 2 for a tagger's), E (epochs)
//	per epoch: N (batches)
//	per batch: B, T, ids [B*T] row-major padded with 0, lengths [B], labels [B]
//	           (version 2: tags [B*T] row-major, -100 past each row's length)
//
// torch_bench.py's read_plan reads the same layout.
const (
	planMagic      = "GRNNPLAN"
	planVersion    = 1
	tagPlanVersion = 2
)

// makePlan returns the batches of epochs 0..epochs-1 of enc.
func makePlan(enc *datasets.Encoded, opts datasets.BatcherOptions, epochs int) ([][]datasets.Batch, error) {
	batcher, err := datasets.NewBatcher(enc, opts)
	if err != nil {
		return nil, err
	}
	plan := make([][]datasets.Batch, epochs)
	for e := range plan {
		for it := batcher.Epoch(e); it.Next(); {
			plan[e] = append(plan[e], it.Batch())
		}
	}
	return plan, nil
}

// writePlan writes plan to path (see planMagic for the layout).
func writePlan(path string, plan [][]datasets.Batch) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	buf := []byte(planMagic)
	put := func(values ...int) error {
		for _, v := range values {
			if v < math.MinInt32 || v > math.MaxInt32 {
				return errors.Errorf("plan: %d does not fit in int32", v)
			}
			buf = binary.LittleEndian.AppendUint32(buf, uint32(int32(v)))
		}
		_, err := w.Write(buf)
		buf = buf[:0]
		return err
	}
	version := planVersion
	if len(plan) > 0 && len(plan[0]) > 0 && plan[0][0].Targets != nil {
		version = tagPlanVersion
	}
	err = put(version, len(plan))
	for _, epoch := range plan {
		if err == nil {
			err = put(len(epoch))
		}
		for _, b := range epoch {
			if err == nil {
				err = put(b.Size, b.Steps)
			}
			last := b.Labels
			if version == tagPlanVersion {
				last = b.Targets
			}
			for _, part := range [][]int{b.IDs, b.Lengths, last} {
				if err == nil {
					err = put(part...)
				}
			}
		}
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return errors.Wrapf(err, "writing %s", path)
}

// readPlan reads a plan file written by writePlan, checking every count
// and length.
func readPlan(path string) ([][]datasets.Batch, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	plan, err := decodePlan(bufio.NewReader(f))
	return plan, errors.Wrapf(err, "plan %s", path)
}

func decodePlan(r io.Reader) ([][]datasets.Batch, error) {
	magic := make([]byte, len(planMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != planMagic {
		return nil, errors.New("not a plan file")
	}
	var word [4]byte
	get := func(n int) ([]int, error) {
		values := make([]int, n)
		for i := range values {
			if _, err := io.ReadFull(r, word[:]); err != nil {
				return nil, errors.Wrap(err, "truncated")
			}
			values[i] = int(int32(binary.LittleEndian.Uint32(word[:])))
		}
		return values, nil
	}
	head, err := get(2)
	if err != nil {
		return nil, err
	}
	if head[0] != planVersion && head[0] != tagPlanVersion {
		return nil, errors.Errorf("version %d, want %d or %d", head[0], planVersion, tagPlanVersion)
	}
	if head[1] < 0 {
		return nil, errors.Errorf("%d epochs", head[1])
	}
	plan := make([][]datasets.Batch, head[1])
	for e := range plan {
		n, err := get(1)
		if err != nil {
			return nil, err
		}
		if n[0] < 0 {
			return nil, errors.Errorf("epoch %d: %d batches", e+1, n[0])
		}
		for i := 0; i < n[0]; i++ {
			b, err := decodeBatch(get, head[0] == tagPlanVersion)
			if err != nil {
				return nil, errors.Wrapf(err, "epoch %d batch %d", e+1, i+1)
			}
			plan[e] = append(plan[e], b)
		}
	}
	if _, err := r.Read(word[:1]); err != io.EOF {
		return nil, errors.New("data after the last batch")
	}
	return plan, nil
}

func decodeBatch(get func(int) ([]int, error), tags bool) (datasets.Batch, error) {
	// maxCells bounds B*T so that a corrupt count cannot ask for a huge
	// allocation; real batches are far smaller.
	const maxCells = 1 << 26
	shape, err := get(2)
	if err != nil {
		return datasets.Batch{}, err
	}
	b := datasets.Batch{Size: shape[0], Steps: shape[1]}
	if b.Size < 1 || b.Steps < 1 || b.Size*b.Steps > maxCells {
		return b, errors.Errorf("bad shape [%d, %d]", b.Size, b.Steps)
	}
	if b.IDs, err = get(b.Size * b.Steps); err != nil {
		return b, err
	}
	if b.Lengths, err = get(b.Size); err != nil {
		return b, err
	}
	if tags {
		b.Targets, err = get(b.Size * b.Steps)
	} else {
		b.Labels, err = get(b.Size)
	}
	if err != nil {
		return b, err
	}
	for i, n := range b.Lengths {
		if n < 1 || n > b.Steps {
			return b, errors.Errorf("row %d: length %d not in 1..%d", i, n, b.Steps)
		}
	}
	return b, nil
}
