package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/gornn/gornn/internal/regularfile"
	"github.com/pkg/errors"
)

// MaxHeaderSize is the largest header accepted, as in the reference
// implementation (100 MB).
const MaxHeaderSize = 100_000_000

// metadataKey is the header key of the free-form string metadata.
const metadataKey = "__metadata__"

// File is a validated safetensors file held in memory.
type File struct {
	// Metadata is the header's "__metadata__" map, nil when absent.
	Metadata map[string]string
	tensors  []Tensor // in data order
	index    map[string]int
}

// Names returns the tensor names in lexical order.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.tensors))
	for _, t := range f.tensors {
		names = append(names, t.Name)
	}
	sort.Strings(names)
	return names
}

// Tensors returns the tensors in the order of their data in the file.
func (f *File) Tensors() []Tensor { return f.tensors }

// Tensor returns the tensor called name.
func (f *File) Tensor(name string) (Tensor, bool) {
	i, ok := f.index[name]
	if !ok {
		return Tensor{}, false
	}
	return f.tensors[i], true
}

// Float32s returns the values and shape of the F32 tensor called name.
func (f *File) Float32s(name string) ([]float32, []int, error) {
	return values(f, name, Tensor.Float32s)
}

// Float64s returns the values and shape of the F64 tensor called name.
func (f *File) Float64s(name string) ([]float64, []int, error) {
	return values(f, name, Tensor.Float64s)
}

// Int64s returns the values and shape of the I64 tensor called name.
func (f *File) Int64s(name string) ([]int64, []int, error) {
	return values(f, name, Tensor.Int64s)
}

// values returns the shape of the tensor called name and its values as
// decode decodes them.
func values[T any](f *File, name string, decode func(Tensor) ([]T, error)) ([]T, []int, error) {
	t, err := f.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	v, err := decode(t)
	return v, t.Shape, err
}

func (f *File) lookup(name string) (Tensor, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return Tensor{}, errors.Errorf("safetensors: no tensor %q (have %q)", name, f.Names())
	}
	return t, nil
}

// ReadFile reads and validates the safetensors file at path, which must be
// a regular file (a link to one is followed; a named pipe or a device is
// refused without reading it). Errors name the file.
func ReadFile(path string) (*File, error) {
	fh, size, err := regularfile.Open(path, math.MaxInt64)
	if err != nil {
		return nil, errors.Wrap(err, "safetensors")
	}
	defer fh.Close()
	f, err := read(fh, size)
	return f, errors.Wrapf(err, "safetensors: %s", path)
}

// Read reads and validates one safetensors file from r, which must end
// where the file ends. It refuses files longer than maxSize bytes (> 0)
// without reading past that limit, so maxSize bounds the memory Read
// allocates.
func Read(r io.Reader, maxSize int64) (*File, error) {
	if maxSize <= 0 {
		return nil, errors.Errorf("safetensors: maxSize %d is not positive", maxSize)
	}
	f, err := read(r, maxSize)
	return f, errors.Wrap(err, "safetensors")
}

// read is Read for a file of at most maxSize bytes; ReadFile passes the
// file's size, 0 for an empty file.
func read(r io.Reader, maxSize int64) (*File, error) {
	f, spans, dataLen, headerLen, err := readHeader(r, maxSize, MaxHeaderSize)
	if err != nil {
		return nil, err
	}
	if avail := uint64(maxSize) - 8 - headerLen; dataLen > avail {
		return nil, errors.Errorf("header describes %d data bytes, the file has at most %d", dataLen, avail)
	}
	data := make([]byte, dataLen)
	if got, err := io.ReadFull(r, data); err != nil {
		return nil, errors.Errorf("file truncated: header describes %d data bytes, the file has %d", dataLen, got)
	}
	var one [1]byte
	if got, _ := io.ReadFull(r, one[:]); got > 0 {
		return nil, errors.Errorf("bytes after the %d data bytes that the header describes are not covered by any tensor", dataLen)
	}
	for i, s := range spans {
		f.tensors[i].Data = data[s.begin:s.end:s.end]
	}
	return f, nil
}

// readHeader reads the header length and the header of a file of at most
// maxSize bytes from r, refusing a header over maxHeaderSize bytes before
// reading it, and parses it (see parseHeader). It also returns the header
// length.
func readHeader(r io.Reader, maxSize, maxHeaderSize int64) (f *File, spans []span, dataLen, headerLen uint64, err error) {
	var lenBuf [8]byte
	if maxSize < 8 {
		return nil, nil, 0, 0, errors.Errorf("file too short: at most %d bytes, the header length alone takes 8", maxSize)
	}
	if n, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, nil, 0, 0, errors.Errorf("file too short: %d bytes, the header length alone takes 8", n)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	switch {
	case n > uint64(maxHeaderSize):
		return nil, nil, 0, 0, errors.Errorf("header length %d exceeds the limit of %d bytes", n, maxHeaderSize)
	case n > uint64(maxSize-8):
		return nil, nil, 0, 0, errors.Errorf("header length %d is beyond the end of the file (%d bytes after the length)", n, maxSize-8)
	}
	header := make([]byte, n)
	if got, err := io.ReadFull(r, header); err != nil {
		return nil, nil, 0, 0, errors.Errorf("header length %d is beyond the end of the file (%d bytes after the length)", n, got)
	}
	f, spans, dataLen, err = parseHeader(header)
	if err != nil {
		return nil, nil, 0, 0, errors.Wrap(err, "invalid header")
	}
	return f, spans, dataLen, n, nil
}

// span is the byte range [begin, end) of one tensor's data.
type span struct{ begin, end uint64 }

// entry is a tensor as its header describes it.
type entry struct {
	Tensor
	span
}

// entryFields are the fields of a tensor's header entry, all required.
var entryFields = []string{"dtype", "shape", "data_offsets"}

// parseHeader parses and checks a header. It returns a File whose tensors,
// in data order, have no Data yet, their byte ranges and the total data
// length.
func parseHeader(header []byte) (*File, []span, uint64, error) {
	if !utf8.Valid(header) {
		return nil, nil, 0, errors.New("not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(header))
	dec.UseNumber()
	if err := expectDelim(dec, '{', "the header"); err != nil {
		return nil, nil, 0, err
	}
	f := &File{index: map[string]int{}}
	var entries []entry
	seenMeta := false
	for dec.More() {
		key, err := stringToken(dec, "a tensor name")
		if err != nil {
			return nil, nil, 0, err
		}
		if key == metadataKey {
			if seenMeta {
				return nil, nil, 0, errors.Errorf("%q appears twice", metadataKey)
			}
			seenMeta = true
			if f.Metadata, err = parseMetadata(dec); err != nil {
				return nil, nil, 0, err
			}
			continue
		}
		if _, dup := f.index[key]; dup {
			return nil, nil, 0, errors.Errorf("tensor %q appears twice", key)
		}
		e, err := parseEntry(dec, key)
		if err != nil {
			return nil, nil, 0, errors.Wrapf(err, "tensor %q", key)
		}
		f.index[key] = len(entries)
		entries = append(entries, e)
	}
	if err := expectDelim(dec, '}', "the end of the header object"); err != nil {
		return nil, nil, 0, err
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, nil, 0, errors.Wrap(err, "after the header object")
		}
		return nil, nil, 0, errors.Errorf("unexpected %v after the header object", tok)
	}
	dataLen, err := tile(entries)
	if err != nil {
		return nil, nil, 0, err
	}
	f.tensors = make([]Tensor, len(entries))
	spans := make([]span, len(entries))
	for i, e := range entries {
		f.tensors[i], spans[i] = e.Tensor, e.span
		f.index[e.Name] = i
	}
	return f, spans, dataLen, nil
}

// tile sorts entries by data offsets and checks that each tensor's byte
// range matches its shape and that the ranges tile [0, total) exactly. It
// returns total.
func tile(entries []entry) (uint64, error) {
	for _, e := range entries {
		if e.end < e.begin {
			return 0, errors.Errorf("tensor %q: data_offsets [%d, %d] end before they begin", e.Name, e.begin, e.end)
		}
		n, err := elements(e.Shape)
		if err != nil {
			return 0, errors.Wrapf(err, "tensor %q", e.Name)
		}
		need := uint64(n) * uint64(e.Dtype.Size())
		if need/uint64(e.Dtype.Size()) != uint64(n) || need != e.end-e.begin {
			return 0, errors.Errorf("tensor %q: shape %v of %s needs %d×%d bytes, data_offsets [%d, %d] hold %d",
				e.Name, e.Shape, e.Dtype, n, e.Dtype.Size(), e.begin, e.end, e.end-e.begin)
		}
	}
	sort.SliceStable(entries, func(i, j int) bool {
		if entries[i].begin != entries[j].begin {
			return entries[i].begin < entries[j].begin
		}
		return entries[i].end < entries[j].end
	})
	var at uint64
	for i, e := range entries {
		switch {
		case e.begin > at:
			return 0, errors.Errorf("data bytes [%d, %d) before tensor %q are not covered by any tensor", at, e.begin, e.Name)
		case e.begin < at:
			return 0, errors.Errorf("tensor %q (data_offsets [%d, %d]) overlaps tensor %q", e.Name, e.begin, e.end, entries[i-1].Name)
		}
		at = e.end
	}
	return at, nil
}

// parseEntry parses one tensor's {"dtype", "shape", "data_offsets"} object.
func parseEntry(dec *json.Decoder, name string) (entry, error) {
	e := entry{Tensor: Tensor{Name: name, Shape: []int{}}}
	if err := expectDelim(dec, '{', "an object"); err != nil {
		return e, err
	}
	var seen [3]bool
	for dec.More() {
		field, err := stringToken(dec, "a field name")
		if err != nil {
			return e, err
		}
		k := slices.Index(entryFields, field)
		switch {
		case k < 0:
			return e, errors.Errorf("unknown field %q", field)
		case seen[k]:
			return e, errors.Errorf("field %q appears twice", field)
		}
		seen[k] = true
		switch field {
		case "dtype":
			s, err := stringToken(dec, "a dtype string")
			if err != nil {
				return e, err
			}
			if e.Dtype = Dtype(s); !e.Dtype.Valid() {
				return e, errors.Errorf("unknown dtype %q", s)
			}
		case "shape":
			dims, err := uintArray(dec, "shape", math.MaxInt)
			if err != nil {
				return e, err
			}
			for _, d := range dims {
				e.Shape = append(e.Shape, int(d))
			}
		case "data_offsets":
			offs, err := uintArray(dec, "data_offsets", math.MaxInt64)
			if err != nil {
				return e, err
			}
			if len(offs) != 2 {
				return e, errors.Errorf("data_offsets has %d numbers, want 2", len(offs))
			}
			e.begin, e.end = offs[0], offs[1]
		}
	}
	for k, field := range entryFields {
		if !seen[k] {
			return e, errors.Errorf("field %q missing", field)
		}
	}
	return e, expectDelim(dec, '}', "the end of the object")
}

// parseMetadata parses the "__metadata__" object of strings.
func parseMetadata(dec *json.Decoder) (map[string]string, error) {
	if err := expectDelim(dec, '{', metadataKey+" object"); err != nil {
		return nil, err
	}
	meta := map[string]string{}
	for dec.More() {
		key, err := stringToken(dec, metadataKey+" key")
		if err != nil {
			return nil, err
		}
		if _, dup := meta[key]; dup {
			return nil, errors.Errorf("%s key %q appears twice", metadataKey, key)
		}
		if meta[key], err = stringToken(dec, metadataKey+" value"); err != nil {
			return nil, errors.Wrapf(err, "%s key %q", metadataKey, key)
		}
	}
	return meta, expectDelim(dec, '}', "the end of "+metadataKey)
}

// uintArray parses an array of integers in [0, max].
func uintArray(dec *json.Decoder, what string, max uint64) ([]uint64, error) {
	if err := expectDelim(dec, '[', what+" array"); err != nil {
		return nil, err
	}
	var out []uint64
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errors.Wrap(err, what)
		}
		num, ok := tok.(json.Number)
		if !ok {
			return nil, errors.Errorf("%s holds %v, want integers", what, tok)
		}
		v, err := strconv.ParseUint(string(num), 10, 64)
		if err != nil || v > max {
			return nil, errors.Errorf("%s holds %s, want integers in [0, %d]", what, num, max)
		}
		out = append(out, v)
	}
	return out, expectDelim(dec, ']', "the end of "+what)
}

func stringToken(dec *json.Decoder, what string) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", errors.Wrapf(err, "reading %s", what)
	}
	s, ok := tok.(string)
	if !ok {
		return "", errors.Errorf("found %v, want %s", tok, what)
	}
	return s, nil
}

func expectDelim(dec *json.Decoder, d json.Delim, what string) error {
	tok, err := dec.Token()
	if err != nil {
		return errors.Wrapf(err, "reading %s", what)
	}
	if tok != d {
		return errors.Errorf("found %v, want %s", tok, what)
	}
	return nil
}
