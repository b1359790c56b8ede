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

// An LM plan file holds a language model's batches, epoch by epoch, so
// that gornn and PyTorch train and evaluate on the same next-token
// targets. It is little-endian int32 throughout, after an 8-byte magic:
//
//	"GRNNLMPL", version (1), E (epochs)
//	per epoch: N (batches)
//	per batch: B, T, ids [B*T] row-major (padded with 0), lengths [B],
//	           targets [B*T] row-major (-100 past each row's length)
//
// A stream's batches (every row T long) are in order: batch i holds
// window i of every column, row r column r. torch_lm.py's read_plan reads
// the same layout.
const (
	lmPlanMagic   = "GRNNLMPL"
	lmPlanVersion = 1
)

// writeLMPlan writes plan to path (see lmPlanMagic for the layout).
func writeLMPlan(path string, plan [][]datasets.Batch) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	buf := []byte(lmPlanMagic)
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
	err = put(lmPlanVersion, len(plan))
	for _, epoch := range plan {
		if err == nil {
			err = put(len(epoch))
		}
		for _, b := range epoch {
			if b.Targets == nil && err == nil {
				err = errors.New("plan: a language model's batch without targets")
			}
			for _, part := range [][]int{{b.Size, b.Steps}, b.IDs, b.Lengths, b.Targets} {
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

// readLMPlan reads a plan written by writeLMPlan, checking every count
// and length. Each batch's Index is its rows' positions in a stream read
// in order (batch i, row r: i*B + r), which a stream model's carried
// state follows.
func readLMPlan(path string) ([][]datasets.Batch, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	plan, err := decodeLMPlan(bufio.NewReader(f))
	return plan, errors.Wrapf(err, "plan %s", path)
}

func decodeLMPlan(r io.Reader) ([][]datasets.Batch, error) {
	const maxCells = 1 << 26 // bounds B*T against a corrupt count
	magic := make([]byte, len(lmPlanMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != lmPlanMagic {
		return nil, errors.New("not a language model plan file")
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
	if head[0] != lmPlanVersion || head[1] < 0 {
		return nil, errors.Errorf("version %d with %d epochs, want version %d", head[0], head[1], lmPlanVersion)
	}
	plan := make([][]datasets.Batch, head[1])
	for e := range plan {
		n, err := get(1)
		if err != nil || n[0] < 0 {
			return nil, errors.Errorf("epoch %d: bad batch count (%v)", e+1, err)
		}
		for i := 0; i < n[0]; i++ {
			shape, err := get(2)
			if err != nil {
				return nil, err
			}
			b := datasets.Batch{Size: shape[0], Steps: shape[1]}
			if b.Size < 1 || b.Steps < 1 || b.Size*b.Steps > maxCells {
				return nil, errors.Errorf("epoch %d batch %d: bad shape [%d, %d]", e+1, i+1, b.Size, b.Steps)
			}
			if b.IDs, err = get(b.Size * b.Steps); err == nil {
				if b.Lengths, err = get(b.Size); err == nil {
					b.Targets, err = get(b.Size * b.Steps)
				}
			}
			if err != nil {
				return nil, err
			}
			for row, length := range b.Lengths {
				if length < 1 || length > b.Steps {
					return nil, errors.Errorf("epoch %d batch %d row %d: length %d not in 1..%d", e+1, i+1, row, length, b.Steps)
				}
				b.Index = append(b.Index, i*b.Size+row)
			}
			plan[e] = append(plan[e], b)
		}
	}
	if _, err := r.Read(word[:1]); err != io.EOF {
		return nil, errors.New("data after the last batch")
	}
	return plan, nil
}
