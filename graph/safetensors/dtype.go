package safetensors

// Dtype is a tensor element type, spelled as in a safetensors header.
type Dtype string

// The dtypes of the safetensors format.
const (
	BOOL   Dtype = "BOOL"
	U8     Dtype = "U8"
	I8     Dtype = "I8"
	F8E5M2 Dtype = "F8_E5M2"
	F8E4M3 Dtype = "F8_E4M3"
	I16    Dtype = "I16"
	U16    Dtype = "U16"
	F16    Dtype = "F16"
	BF16   Dtype = "BF16"
	I32    Dtype = "I32"
	U32    Dtype = "U32"
	F32    Dtype = "F32"
	F64    Dtype = "F64"
	I64    Dtype = "I64"
	U64    Dtype = "U64"
)

// dtypeInfo holds a dtype's element size in bytes and its rank in the
// reference implementation's Dtype enum, which orders the data of a file
// written there (higher rank first).
type dtypeInfo struct{ size, rank int }

var dtypes = map[Dtype]dtypeInfo{
	BOOL:   {1, 0},
	U8:     {1, 1},
	I8:     {1, 2},
	F8E5M2: {1, 3},
	F8E4M3: {1, 4},
	I16:    {2, 5},
	U16:    {2, 6},
	F16:    {2, 7},
	BF16:   {2, 8},
	I32:    {4, 9},
	U32:    {4, 10},
	F32:    {4, 11},
	F64:    {8, 12},
	I64:    {8, 13},
	U64:    {8, 14},
}

// Size returns the size of one element in bytes, or 0 for an unknown dtype.
func (d Dtype) Size() int { return dtypes[d].size }

// Valid reports whether d is one of the format's dtypes.
func (d Dtype) Valid() bool { return d.Size() > 0 }
