// Package safetensors reads and writes the safetensors tensor file format,
// the format of Hugging Face's safetensors library and the one PyTorch users
// exchange state_dicts in. It has no Gorgonia dependency: tensors are names,
// dtypes, shapes and little-endian bytes.
//
// A file is
//
//	8 bytes      N, the header length, a little-endian uint64
//	N bytes      the header: a UTF-8 JSON object
//	             {"__metadata__": {"key": "value", ...},
//	              "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...}
//	             padded with spaces to a multiple of 8 bytes
//	rest         the tensors' raw row-major little-endian data
//
// where data_offsets are [begin, end) byte ranges relative to the first byte
// after the header. The ranges tile the data exactly: no gaps, no overlaps,
// nothing after the last tensor.
//
// Write lays a file out as the reference (Rust) implementation does: data
// sorted by dtype, widest element type first (so that every tensor is
// aligned to its element size), then by name; a compact header with
// "__metadata__" first (its keys sorted) and the tensors in data order; the
// header padded with spaces. Reading a file written that way and writing
// its contents back reproduces it byte for byte (TestTorchFixture).
// WriteFile writes atomically.
//
// Read and ReadFile validate everything before returning a File: the header
// length against the file size, the JSON syntax and types, duplicate names,
// known dtypes, shapes against byte ranges, and that the ranges tile the
// data. Errors say which tensor and which rule, and ReadFile's errors name
// the file. No input makes them panic (FuzzRead).
//
// Typed access exists for F32, F64 and I64 (FromFloat32s, Tensor.Float32s,
// File.Float32s and their F64/I64 twins); tensors of the other dtypes of the
// format (BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, U64, F8_E5M2,
// F8_E4M3) are read, validated and written as raw bytes.
package safetensors
