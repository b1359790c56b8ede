package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/gornn/gornn/internal/atomicfile"
	"github.com/pkg/errors"
)

// Write writes tensors and metadata (nil or empty for none) to w as one
// safetensors file, laid out as the reference implementation lays it out
// (see the package documentation). Names must be unique, valid UTF-8 and not
// "__metadata__"; each tensor's data must match its dtype and shape.
func Write(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	return errors.Wrap(write(w, tensors, metadata), "safetensors")
}

// WriteFile writes tensors and metadata to path as Write does, atomically:
// the bytes go to a temporary file in the same directory, which is synced
// and then renamed over path, so that path holds either its old contents or
// the complete new file, even after a crash. Errors name the file.
func WriteFile(path string, tensors []Tensor, metadata map[string]string) error {
	err := atomicfile.WriteFile(path, func(w io.Writer) error { return write(w, tensors, metadata) })
	return errors.Wrapf(err, "safetensors: %s", path)
}

func write(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	header, order, err := encodeHeader(tensors, metadata)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(header)))
	bw.Write(lenBuf[:])
	bw.Write(header)
	for _, t := range order {
		bw.Write(t.Data)
	}
	return bw.Flush()
}

// encodeHeader validates the tensors and returns the padded header and the
// tensors in data order.
func encodeHeader(tensors []Tensor, metadata map[string]string) ([]byte, []Tensor, error) {
	seen := make(map[string]bool, len(tensors))
	for _, t := range tensors {
		switch {
		case t.Name == metadataKey || !utf8.ValidString(t.Name):
			return nil, nil, errors.Errorf("invalid tensor name %q", t.Name)
		case seen[t.Name]:
			return nil, nil, errors.Errorf("tensor %q given twice", t.Name)
		}
		seen[t.Name] = true
		if err := t.validate(); err != nil {
			return nil, nil, err
		}
	}
	for k, v := range metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, nil, errors.Errorf("metadata %q: %q is not valid UTF-8", k, v)
		}
	}
	order := append([]Tensor(nil), tensors...)
	sort.Slice(order, func(i, j int) bool {
		ri, rj := dtypes[order[i].Dtype].rank, dtypes[order[j].Dtype].rank
		if ri != rj {
			return ri > rj
		}
		return order[i].Name < order[j].Name
	})

	var h bytes.Buffer
	h.WriteByte('{')
	if len(metadata) > 0 {
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		writeString(&h, metadataKey)
		h.WriteString(":{")
		for i, k := range keys {
			if i > 0 {
				h.WriteByte(',')
			}
			writeString(&h, k)
			h.WriteByte(':')
			writeString(&h, metadata[k])
		}
		h.WriteByte('}')
	}
	offset := 0
	for i, t := range order {
		if i > 0 || len(metadata) > 0 {
			h.WriteByte(',')
		}
		writeString(&h, t.Name)
		h.WriteString(`:{"dtype":`)
		writeString(&h, string(t.Dtype))
		h.WriteString(`,"shape":[`)
		for j, d := range t.Shape {
			if j > 0 {
				h.WriteByte(',')
			}
			h.WriteString(strconv.Itoa(d))
		}
		h.WriteString(`],"data_offsets":[`)
		h.WriteString(strconv.Itoa(offset))
		h.WriteByte(',')
		offset += len(t.Data)
		h.WriteString(strconv.Itoa(offset))
		h.WriteString("]}")
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	return h.Bytes(), order, nil
}

// writeString writes s as a JSON string, escaping only what JSON requires.
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)           // a valid UTF-8 string always encodes
	b.Truncate(b.Len() - 1) // Encode's newline
}
