package safetensors

import (
	"encoding/binary"
	"io"
	"math"

	"github.com/gornn/gornn/datasets/regularfile"
	"github.com/pkg/errors"
)

// Header is what a safetensors file's header says about its tensors, read
// without their data.
type Header struct {
	// Metadata is the header's "__metadata__" map, nil when absent.
	Metadata map[string]string
	// Tensors are the tensors' names, dtypes and shapes in the order of
	// their data; their Data is nil.
	Tensors []Tensor
}

// ReadHeader reads and validates the header of the safetensors file at
// path without reading the tensors' data, so that a caller can check the
// names, dtypes and shapes before allocating anything for them. It accepts
// only a regular file, refuses a header longer than maxHeaderSize bytes
// (at most MaxHeaderSize) before reading it, and checks everything Read
// checks except the data itself: the byte ranges must tile exactly the
// bytes after the header, to the end of the file. Errors name the file.
func ReadHeader(path string, maxHeaderSize int64) (*Header, error) {
	h, err := readHeader(path, min(maxHeaderSize, MaxHeaderSize))
	return h, errors.Wrapf(err, "safetensors: %s", path)
}

func readHeader(path string, maxHeaderSize int64) (*Header, error) {
	fh, size, err := regularfile.Open(path, math.MaxInt64)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var lenBuf [8]byte
	if n, err := io.ReadFull(fh, lenBuf[:]); err != nil {
		return nil, errors.Errorf("file too short: %d bytes, the header length alone takes 8", n)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	switch {
	case n > uint64(maxHeaderSize):
		return nil, errors.Errorf("header length %d exceeds the limit of %d bytes", n, maxHeaderSize)
	case n > uint64(size-8):
		return nil, errors.Errorf("header length %d is beyond the end of the file (%d bytes after the length)", n, size-8)
	}
	header := make([]byte, n)
	if got, err := io.ReadFull(fh, header); err != nil {
		return nil, errors.Errorf("header length %d is beyond the end of the file (%d bytes after the length)", n, got)
	}
	f, _, dataLen, err := parseHeader(header)
	if err != nil {
		return nil, errors.Wrap(err, "invalid header")
	}
	switch avail := uint64(size) - 8 - n; {
	case dataLen > avail:
		return nil, errors.Errorf("file truncated: header describes %d data bytes, the file has %d", dataLen, avail)
	case dataLen < avail:
		return nil, errors.Errorf("bytes after the %d data bytes that the header describes are not covered by any tensor", dataLen)
	}
	return &Header{Metadata: f.Metadata, Tensors: f.tensors}, nil
}
