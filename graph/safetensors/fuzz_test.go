package safetensors

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzRead feeds arbitrary bytes to Read. It must never panic, and a file it
// accepts must survive Write and Read unchanged. The seed corpus is in
// testdata/fuzz/FuzzRead (valid files, and each TestReadInvalid case).
func FuzzRead(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		file, err := Read(bytes.NewReader(in), 1<<20)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := Write(&buf, file.Tensors(), file.Metadata); err != nil {
			t.Fatalf("Write of a file Read accepted: %v", err)
		}
		again, err := Read(&buf, 1<<20)
		if err != nil {
			t.Fatalf("Read of Write's output: %v", err)
		}
		if !reflect.DeepEqual(again.Names(), file.Names()) {
			t.Fatalf("names %q became %q", file.Names(), again.Names())
		}
		if len(file.Metadata) > 0 && !reflect.DeepEqual(again.Metadata, file.Metadata) {
			t.Fatalf("metadata %q became %q", file.Metadata, again.Metadata)
		}
		for _, want := range file.Tensors() {
			got, _ := again.Tensor(want.Name)
			if got.Dtype != want.Dtype || !reflect.DeepEqual(got.Shape, want.Shape) || !bytes.Equal(got.Data, want.Data) {
				t.Fatalf("tensor %q: %+v became %+v", want.Name, want, got)
			}
		}
	})
}
