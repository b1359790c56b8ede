package graph_test

import (
	"fmt"

	"github.com/gornn/gornn/graph"
	"gorgonia.org/tensor"
)

// Example declares an embedding -> LSTM -> linear classifier once, builds it
// into a graph for batches of 2 rows padded to 4 steps, and runs one forward
// and backward pass.
func Example() {
	params, _ := graph.NewParams(tensor.Float32, 42)
	emb, _ := graph.NewEmbedding(params, "embedding", 10, 8, 0)
	rnn, _ := graph.NewRecurrent(params, "rnn", graph.RecurrentConfig{Cell: graph.LSTM, InputSize: 8, HiddenSize: 16})
	fc, _ := graph.NewLinear(params, "fc", rnn.OutputWidth(), 3)

	g, _ := graph.New(params, graph.Config{Batch: 2, Training: true})
	tokens, _ := g.NewSequence("tokens", graph.SequenceConfig{Steps: 4})
	labels := g.NewLabels("labels")
	x, _ := emb.Build(g, tokens)                // 4 steps [2, 8]
	out, _ := rnn.Build(g, x, nil)              // 4 steps [2, 16], final states
	pooled, _ := graph.Pool(g, out, graph.Last) // [2, 16]: state at each row's last token
	logits, _ := fc.Build(g, pooled)            // [2, 3]
	loss, _ := graph.CrossEntropy(g, logits, labels, graph.LossOptions{})
	if err := g.Compile(loss); err != nil {
		fmt.Println(err)
		return
	}

	ids := []int{
		4, 2, 7, 0, // "row 0": 3 tokens, then padding
		5, 9, 1, 3, // "row 1": 4 tokens
	}
	if err := tokens.Set(ids, []int{3, 4}); err != nil {
		fmt.Println(err)
		return
	}
	if err := labels.Set([]int{2, 0}); err != nil {
		fmt.Println(err)
		return
	}
	if err := g.Run(); err != nil { // forward and backward
		fmt.Println(err)
		return
	}
	if err := g.AccumulateGrads(1); err != nil { // into each Param.Grad
		fmt.Println(err)
		return
	}
	fmt.Println("logits shape:", logits.Shape())
	fmt.Println("loss is a scalar:", loss.IsScalar())
	for _, p := range params.List() {
		fmt.Println(p.Name, p.Value.Shape())
	}
	fmt.Println("learnable scalars:", params.Count())
	// Output:
	// logits shape: (2, 3)
	// loss is a scalar: true
	// embedding.weight (10, 8)
	// rnn.weight_ih_l0 (64, 8)
	// rnn.weight_hh_l0 (64, 16)
	// rnn.bias_ih_l0 (64)
	// rnn.bias_hh_l0 (64)
	// fc.weight (3, 16)
	// fc.bias (3)
	// learnable scalars: 1795
}

// ExampleParseCell shows the cell names the CLI and configs use.
func ExampleParseCell() {
	for _, name := range []string{"rnn_tanh", "rnn_relu", "lstm", "gru"} {
		cell, _ := graph.ParseCell(name)
		fmt.Println(cell, "gates:", cell.Gates())
	}
	_, err := graph.ParseCell("transformer")
	fmt.Println(err)
	// Output:
	// rnn_tanh gates: 1
	// rnn_relu gates: 1
	// lstm gates: 4
	// gru gates: 3
	// graph: unknown cell "transformer" (want rnn_tanh, rnn_relu, lstm or gru)
}
