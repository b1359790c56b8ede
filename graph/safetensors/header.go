package safetensors

import (
	"math"

	"github.com/gornn/gornn/internal/regularfile"
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
	h, err := readHeaderFile(path, min(maxHeaderSize, MaxHeaderSize))
	return h, errors.Wrapf(err, "safetensors: %s", path)
}

func readHeaderFile(path string, maxHeaderSize int64) (*Header, error) {
	fh, size, err := regularfile.Open(path, math.MaxInt64)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	f, _, dataLen, headerLen, err := readHeader(fh, size, maxHeaderSize)
	if err != nil {
		return nil, err
	}
	switch avail := uint64(size) - 8 - headerLen; {
	case dataLen > avail:
		return nil, errors.Errorf("file truncated: header describes %d data bytes, the file has %d", dataLen, avail)
	case dataLen < avail:
		return nil, errors.Errorf("bytes after the %d data bytes that the header describes are not covered by any tensor", dataLen)
	}
	return &Header{Metadata: f.Metadata, Tensors: f.tensors}, nil
}
