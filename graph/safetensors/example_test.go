package safetensors_test

import (
	"bytes"
	"fmt"

	"github.com/gornn/gornn/graph/safetensors"
)

// Example writes two tensors and metadata to a buffer and reads them back.
func Example() {
	var buf bytes.Buffer
	err := safetensors.Write(&buf, []safetensors.Tensor{
		safetensors.FromFloat32s("fc.weight", []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}),
		safetensors.FromInt64s("step", nil, []int64{300}),
	}, map[string]string{"format": "pt"})
	if err != nil {
		fmt.Println(err)
		return
	}
	size := int64(buf.Len())

	f, err := safetensors.Read(&buf, size)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("bytes:", size)
	fmt.Println("names:", f.Names())
	fmt.Println("metadata:", f.Metadata)
	w, shape, _ := f.Float32s("fc.weight")
	fmt.Println("fc.weight", shape, w)
	step, shape, _ := f.Int64s("step")
	fmt.Println("step", shape, step)
	// Output:
	// bytes: 192
	// names: [fc.weight step]
	// metadata: map[format:pt]
	// fc.weight [2 3] [1 2 3 4 5 6]
	// step [] [300]
}
