package train

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"

	"github.com/gornn/gornn/graph/safetensors"
	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

// carriedFiles are the files a models.Carrier's SaveState writes, by
// name; every one a safetensors file.
type carriedFiles map[string][]byte

// carriedState returns the files c.SaveState writes.
func carriedState(c models.Carrier) (carriedFiles, error) {
	dir, err := os.MkdirTemp("", "gornn-carried-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := c.SaveState(dir); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	files := carriedFiles{}
	for _, e := range entries {
		if files[e.Name()], err = os.ReadFile(filepath.Join(dir, e.Name())); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// groupCarry is what a process of a group knows of a carrying model's
// state (models.Carrier): every process's copy at the last exchange, and
// the whole state, each part from the process that trains its rows.
type groupCarry struct {
	copies []carriedFiles // by rank
	whole  carriedFiles
}

// baseCarried records the carried state every process of a group holds
// alike before training (all zero, or the state a resume loaded) as every
// process's copy and the whole state. Fit calls it first.
func (t *Trainer) baseCarried() error {
	c, ok := carrier(t.model)
	if t.cfg.Group == nil || !ok {
		return nil
	}
	files, err := carriedState(c)
	if err != nil {
		return errors.Wrap(err, "train: the carried state")
	}
	t.carried = &groupCarry{copies: make([]carriedFiles, t.cfg.Group.Size()), whole: files}
	for r := range t.carried.copies {
		t.carried.copies[r] = files
	}
	return nil
}

// syncCarried brings the whole carried state up to date. Each process
// updates only the state of the rows it trains (the same rows every
// batch): every process sends its copy, and an element that a process's
// copy changed since the last exchange takes that value, in rank order.
// Fit calls it on every process before each checkpoint, where rank 0
// saves the whole state (saveCarried).
func (t *Trainer) syncCarried() error {
	c, ok := carrier(t.model)
	if t.cfg.Group == nil || !ok {
		return nil
	}
	own, err := carriedState(c)
	if err != nil {
		return errors.Wrap(err, "train: the carried state")
	}
	encoded, err := json.Marshal(own)
	if err != nil {
		return errors.Wrap(err, "train: the carried state")
	}
	all, err := t.cfg.Group.AllGather(encoded)
	if err != nil {
		return errors.Wrap(err, "train: gathering the carried state")
	}
	copies := make([]carriedFiles, len(all))
	for r, data := range all {
		if err := json.Unmarshal(data, &copies[r]); err != nil {
			return errors.Wrapf(err, "train: the carried state of rank %d", r)
		}
	}
	names := make([]string, 0, len(own))
	for name := range own {
		names = append(names, name)
	}
	sort.Strings(names)
	whole := carriedFiles{}
	for _, name := range names {
		if whole[name], err = overlay(name, t.carried.whole, t.carried.copies, copies); err != nil {
			return errors.Wrapf(err, "train: the carried state's %s", name)
		}
	}
	t.carried.copies, t.carried.whole = copies, whole
	return nil
}

// saveCarried writes the carried state of c into the checkpoint
// directory dir: c's own, or in a group the whole state.
func (t *Trainer) saveCarried(c models.Carrier, dir string) error {
	if t.carried == nil {
		return c.SaveState(dir)
	}
	for name, data := range t.carried.whole {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// overlay returns the safetensors file name of whole with every element
// that a process's copy changed since the last exchange (before[r] to
// after[r]) set to its new value, in rank order.
func overlay(name string, whole carriedFiles, before, after []carriedFiles) ([]byte, error) {
	read := func(files carriedFiles, r int) (*safetensors.File, error) {
		data, ok := files[name]
		if !ok {
			return nil, errors.Errorf("rank %d has none", r)
		}
		f, err := safetensors.Read(bytes.NewReader(data), int64(len(data)))
		return f, errors.Wrapf(err, "rank %d", r)
	}
	base, err := read(whole, 0)
	if err != nil {
		return nil, err
	}
	var out []safetensors.Tensor
	for _, t := range base.Tensors() {
		result := safetensors.Tensor{Name: t.Name, Dtype: t.Dtype, Shape: t.Shape, Data: bytes.Clone(t.Data)}
		size := t.Dtype.Size()
		for r := range after {
			was, err := read(before[r], r)
			if err != nil {
				return nil, err
			}
			now, err := read(after[r], r)
			if err != nil {
				return nil, err
			}
			old, ok1 := was.Tensor(t.Name)
			cur, ok2 := now.Tensor(t.Name)
			if !ok1 || !ok2 || len(old.Data) != len(result.Data) || len(cur.Data) != len(result.Data) || size == 0 {
				return nil, errors.Errorf("rank %d's %s differs in shape", r, t.Name)
			}
			for at := 0; at < len(cur.Data); at += size {
				if !bytes.Equal(cur.Data[at:at+size], old.Data[at:at+size]) {
					copy(result.Data[at:at+size], cur.Data[at:at+size])
				}
			}
		}
		out = append(out, result)
	}
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, out, base.Metadata); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
