package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/go.safetensors")

// goFixture is what testdata/go.safetensors holds; interop.py's go_values
// computes the same values in Python, so keep the two in sync.
func goFixture() ([]Tensor, map[string]string) {
	w := make([]float32, 15)
	for i := range w {
		// Explicit conversions keep the compiler from fusing into an FMA.
		w[i] = float32(float64(i-7)*0.375 + float64(float64(i*i)*1e-3))
	}
	b := make([]float64, 6)
	for i := range b {
		b[i] = math.Sqrt(float64(i+1)) - 1.5
	}
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.SmallestNonzeroFloat32, math.MaxFloat32}
	return []Tensor{
		FromFloat32s("w", []int{3, 5}, w),
		FromFloat64s("b", []int{2, 3}, b),
		FromFloat32s("special", []int{7}, special),
		FromInt64s("step", nil, []int64{12345}),
		FromInt64s("ids", []int{4}, []int64{-1, 1 << 40, math.MinInt64, math.MaxInt64}),
		{Name: "mask", Dtype: U8, Shape: []int{3}, Data: []byte{1, 0, 255}},
		FromFloat32s("none", []int{2, 0}, nil),
	}, map[string]string{"format": "pt", "producer": "gornn", "note": "café ✓"}
}

// TestGoFixture checks that Write still produces testdata/go.safetensors,
// the file interop.py reads into PyTorch. Run with -update to rewrite it.
func TestGoFixture(t *testing.T) {
	tensors, meta := goFixture()
	var buf bytes.Buffer
	if err := Write(&buf, tensors, meta); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "go.safetensors")
	if *update {
		if err := WriteFile(path, tensors, meta); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("Write output differs from %s; rerun with -update and then interop.py", path)
	}
}

// torchExpect is testdata/torch.json, written by interop.py.
type torchExpect struct {
	Metadata map[string]string `json:"metadata"`
	Tensors  map[string]struct {
		Dtype Dtype    `json:"dtype"`
		Shape []int    `json:"shape"`
		Bits  []uint64 `json:"bits"`
		Ints  []int64  `json:"ints"`
		Bytes []byte   `json:"bytes"`
	} `json:"tensors"`
}

// TestTorchFixture reads a file written from PyTorch tensors by interop.py,
// checks every value bit for bit and that Write lays the same tensors out
// byte for byte as that writer did.
func TestTorchFixture(t *testing.T) {
	path := filepath.Join("testdata", "torch.safetensors")
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "torch.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want torchExpect
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Metadata, want.Metadata) {
		t.Errorf("metadata %v, want %v", f.Metadata, want.Metadata)
	}
	if len(f.Names()) != len(want.Tensors) {
		t.Errorf("names %v, want %d tensors", f.Names(), len(want.Tensors))
	}
	for name, w := range want.Tensors {
		got, ok := f.Tensor(name)
		if !ok {
			t.Errorf("tensor %q missing", name)
			continue
		}
		if got.Dtype != w.Dtype || !reflect.DeepEqual(got.Shape, w.Shape) {
			t.Errorf("%s: %s %v, want %s %v", name, got.Dtype, got.Shape, w.Dtype, w.Shape)
			continue
		}
		var gotBits []uint64
		switch got.Dtype {
		case F32:
			v, _, err := f.Float32s(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range v {
				gotBits = append(gotBits, uint64(math.Float32bits(x)))
			}
		case F64:
			v, _, err := f.Float64s(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range v {
				gotBits = append(gotBits, math.Float64bits(x))
			}
		case I64:
			v, _, err := f.Int64s(name)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(v, w.Ints) {
				t.Errorf("%s = %v, want %v", name, v, w.Ints)
			}
			continue
		default:
			if !bytes.Equal(got.Data, w.Bytes) {
				t.Errorf("%s bytes %v, want %v", name, got.Data, w.Bytes)
			}
			continue
		}
		if len(gotBits) != len(w.Bits) || (len(w.Bits) > 0 && !reflect.DeepEqual(gotBits, w.Bits)) {
			t.Errorf("%s bits %x, want %x", name, gotBits, w.Bits)
		}
	}
	var buf bytes.Buffer
	if err := Write(&buf, f.Tensors(), f.Metadata); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), file) {
		t.Errorf("re-encoding %s changed its bytes:\n got %q\nwant %q", path, buf.Bytes()[:64], file[:64])
	}
}

func TestRoundTrip(t *testing.T) {
	tensors, meta := goFixture()
	tensors = append(tensors, Tensor{Name: "", Dtype: BF16, Shape: []int{2}, Data: []byte{0x80, 0x3f, 0, 0xc0}})
	var buf bytes.Buffer
	if err := Write(&buf, tensors, meta); err != nil {
		t.Fatal(err)
	}
	f, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	// The padded header and the widest-first order align every tensor.
	at := 8 + binary.LittleEndian.Uint64(buf.Bytes())
	for _, x := range f.Tensors() {
		if at%uint64(x.Dtype.Size()) != 0 {
			t.Errorf("tensor %q (%s) starts at byte %d", x.Name, x.Dtype, at)
		}
		at += uint64(len(x.Data))
	}
	if !reflect.DeepEqual(f.Metadata, meta) {
		t.Errorf("metadata %v, want %v", f.Metadata, meta)
	}
	for _, want := range tensors {
		got, ok := f.Tensor(want.Name)
		if want.Shape == nil {
			want.Shape = []int{}
		}
		if !ok || got.Dtype != want.Dtype || !reflect.DeepEqual(got.Shape, want.Shape) || !bytes.Equal(got.Data, want.Data) {
			t.Errorf("tensor %q: got %+v, want %+v", want.Name, got, want)
		}
	}
	// Data order: 8-byte types (I64 before F64), then 4-byte, 2, 1; by name within.
	var order []string
	for _, x := range f.Tensors() {
		order = append(order, x.Name)
	}
	wantOrder := []string{"ids", "step", "b", "none", "special", "w", "", "mask"}
	if !reflect.DeepEqual(order, wantOrder) {
		t.Errorf("data order %q, want %q", order, wantOrder)
	}
}

func TestHeaderLayout(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, []Tensor{
		FromFloat32s("b", []int{2}, []float32{1, 2}),
		FromFloat64s("a<&>", []int{1}, []float64{3}),
	}, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(buf.Bytes())
	header := string(buf.Bytes()[8 : 8+n])
	want := `{"__metadata__":{"k":"v"},"a<&>":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},` +
		`"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`
	if strings.TrimRight(header, " ") != want || n%8 != 0 || len(header)-len(want) >= 8 {
		t.Errorf("header %q (%d bytes), want %q padded to a multiple of 8", header, n, want)
	}
}

// file assembles a safetensors file from a header and data.
func file(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(out, header...), data...)
}

func TestReadInvalid(t *testing.T) {
	f32 := `"dtype":"F32","shape":[2]`
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "file too short"},
		{"short length", []byte{1, 2, 3}, "file too short"},
		{"header beyond file", file(`{}`, nil)[:9], "beyond the end of the file"},
		{"huge header", binary.LittleEndian.AppendUint64(nil, 1<<40), "exceeds the limit"},
		{"empty header", file(``, nil), "reading the header"},
		{"not json", file(`{"a":`, nil), "reading"},
		{"not an object", file(`[1,2]`, nil), "want the header"},
		{"trailing garbage", file(`{} x`, nil), "after the header object"},
		{"trailing object", file(`{}{}`, nil), "after the header object"},
		{"invalid utf8", file("{\"\xff\":{}}", nil), "not valid UTF-8"},
		{"unknown dtype", file(`{"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)), `unknown dtype "F33"`},
		{"dtype not string", file(`{"a":{"dtype":4,"shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)), "want a dtype string"},
		{"missing shape", file(`{"a":{"dtype":"F32","data_offsets":[0,8]}}`, make([]byte, 8)), `field "shape" missing`},
		{"missing offsets", file(`{"a":{`+f32+`}}`, make([]byte, 8)), `field "data_offsets" missing`},
		{"unknown field", file(`{"a":{`+f32+`,"data_offsets":[0,8],"x":1}}`, make([]byte, 8)), `unknown field "x"`},
		{"repeated field", file(`{"a":{`+f32+`,"shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)), `field "shape" appears twice`},
		{"negative dim", file(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, make([]byte, 8)), "want integers"},
		{"fractional dim", file(`{"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}`, make([]byte, 8)), "want integers"},
		{"three offsets", file(`{"a":{`+f32+`,"data_offsets":[0,8,9]}}`, make([]byte, 8)), "want 2"},
		{"offsets reversed", file(`{"a":{`+f32+`,"data_offsets":[8,0]}}`, make([]byte, 8)), "end before they begin"},
		{"shape mismatch", file(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, make([]byte, 8)), "needs 3×4 bytes"},
		{"shape overflow", file(`{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, make([]byte, 8)), "more than"},
		{"bytes overflow", file(`{"a":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}}`, make([]byte, 8)), "needs"},
		{"duplicate name", file(`{"a":{`+f32+`,"data_offsets":[0,8]},"a":{`+f32+`,"data_offsets":[8,16]}}`, make([]byte, 16)), `tensor "a" appears twice`},
		{"overlap", file(`{"a":{`+f32+`,"data_offsets":[0,8]},"b":{`+f32+`,"data_offsets":[4,12]}}`, make([]byte, 12)), "overlaps"},
		{"gap", file(`{"a":{`+f32+`,"data_offsets":[4,12]}}`, make([]byte, 12)), "not covered"},
		{"data truncated", file(`{"a":{`+f32+`,"data_offsets":[0,8]}}`, make([]byte, 5)), "header describes 8 data bytes"},
		{"data left over", file(`{"a":{`+f32+`,"data_offsets":[0,8]}}`, make([]byte, 9)), "not covered by any tensor"},
		{"metadata not strings", file(`{"__metadata__":{"k":1}}`, nil), `__metadata__ key "k"`},
		{"metadata twice", file(`{"__metadata__":{},"__metadata__":{}}`, nil), "appears twice"},
		{"metadata key twice", file(`{"__metadata__":{"k":"a","k":"b"}}`, nil), `key "k" appears twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tt.in), int64(len(tt.in))+1)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Read error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestReadLimits(t *testing.T) {
	in := file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8))
	if _, err := Read(bytes.NewReader(in), 0); err == nil {
		t.Error("Read with maxSize 0 succeeded")
	}
	if _, err := Read(bytes.NewReader(in), 5); err == nil || !strings.Contains(err.Error(), "file too short") {
		t.Errorf("Read with maxSize 5: error %v", err)
	}
	if _, err := Read(bytes.NewReader(in), int64(len(in))-1); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("Read of a file longer than maxSize: error %v", err)
	}
	if _, err := Read(bytes.NewReader(in), int64(len(in))); err != nil {
		t.Errorf("Read with maxSize = file size: %v", err)
	}
}

func TestWriteInvalid(t *testing.T) {
	good := FromFloat32s("a", []int{2}, []float32{1, 2})
	tests := []struct {
		name    string
		tensors []Tensor
		meta    map[string]string
		want    string
	}{
		{"duplicate", []Tensor{good, good}, nil, `tensor "a" given twice`},
		{"metadata name", []Tensor{FromFloat32s("__metadata__", nil, []float32{1})}, nil, "invalid tensor name"},
		{"invalid utf8 name", []Tensor{FromFloat32s("\xff", nil, []float32{1})}, nil, "invalid tensor name"},
		{"length mismatch", []Tensor{FromFloat32s("a", []int{3}, []float32{1, 2})}, nil, `tensor "a": shape [3] of F32 needs 3×4 bytes, has 8`},
		{"unknown dtype", []Tensor{{Name: "a", Dtype: "F128", Data: make([]byte, 16)}}, nil, "unknown dtype"},
		{"negative dim", []Tensor{{Name: "a", Dtype: F32, Shape: []int{-1}}}, nil, "negative dimension"},
		{"invalid utf8 metadata", []Tensor{good}, map[string]string{"k": "\xff"}, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Write(&bytes.Buffer{}, tt.tensors, tt.meta)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Write error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestTypedAccessors(t *testing.T) {
	f32 := FromFloat32s("x", []int{2}, []float32{1.5, -2})
	if _, err := f32.Float64s(); err == nil || !strings.Contains(err.Error(), `tensor "x" is F32, not F64`) {
		t.Errorf("Float64s of an F32 tensor: error %v", err)
	}
	if _, err := f32.Int64s(); err == nil {
		t.Error("Int64s of an F32 tensor succeeded")
	}
	bad := f32
	bad.Data = bad.Data[:5]
	if _, err := bad.Float32s(); err == nil {
		t.Error("Float32s of a tensor with a short buffer succeeded")
	}
	if n := FromFloat32s("s", nil, []float32{1}).Elements(); n != 1 {
		t.Errorf("scalar Elements() = %d, want 1", n)
	}
	var buf bytes.Buffer
	if err := Write(&buf, []Tensor{f32}, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Read(&buf, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata != nil {
		t.Errorf("Metadata = %v, want nil for a file without one", f.Metadata)
	}
	if _, _, err := f.Float32s("y"); err == nil || !strings.Contains(err.Error(), `no tensor "y" (have ["x"])`) {
		t.Errorf("Float32s of a missing tensor: error %v", err)
	}
	for _, get := range []func(string) error{
		func(n string) error { _, _, err := f.Float64s(n); return err },
		func(n string) error { _, _, err := f.Int64s(n); return err },
	} {
		if get("y") == nil || get("x") == nil {
			t.Error("typed access of a missing or F32 tensor succeeded")
		}
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	tensors, meta := goFixture()
	if err := WriteFile(path, tensors, meta); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(path); err != nil {
		t.Fatal(err)
	}
	// A failed write leaves the old file and no temporary file behind.
	err := WriteFile(path, []Tensor{tensors[0], tensors[0]}, nil)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("WriteFile of duplicate tensors: error %v, want one naming %s", err, path)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after a failed write, want 1", len(entries))
	}
	if _, err := ReadFile(path); err != nil {
		t.Errorf("old file damaged by a failed write: %v", err)
	}
}

func TestReadFileErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.safetensors")
	if err := os.WriteFile(path, file(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, make([]byte, 8)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `tensor "a"`) {
		t.Errorf("ReadFile error %v, want one naming %s and the tensor", err, path)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("ReadFile of a missing file succeeded")
	}
}

// TestReadFileNotAFile checks the errors for an empty file and a directory,
// which once said "maxSize 0 is not positive" and "file too short: 0 bytes".
func TestReadFileNotAFile(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.safetensors")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{empty: "file too short", dir: "is a directory"} {
		_, err := ReadFile(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadFile(%s) error %v, want one naming the file and saying %q", path, err, want)
		}
	}
}
