// Package graph declares the layers of gornn's recurrent text models and
// builds them into Gorgonia expression graphs.
//
// A model is declared once: its layers register named parameters (PyTorch
// state_dict names such as "rnn.weight_ih_l0") in a Params set, with PyTorch's
// shapes, gate order and default initialisations. The same parameter values
// are then bound into any number of graphs, one for each padded batch shape
// [B, T] and one per data-parallel worker, so that the parameter values are
// shared while each graph keeps its own activations and gradients.
//
// Sequences inside a graph are time-major: a padded batch of B rows and T
// steps with F features is a Seq of T nodes [B, F], or one node [T, B, F].
// Each row carries its true length; recurrent layers follow the semantics of
// PyTorch's packed sequences (a row's state stops changing after its last
// real token, outputs at padded steps are zero, the final state is the state
// at the true last token, and the backward direction of a bidirectional
// layer starts at each row's own last token).
//
// The typical flow (see Example) is
//
//	params, _ := graph.NewParams(tensor.Float32, seed)
//	emb, _ := graph.NewEmbedding(params, "embedding", vocabSize, 64, 0)
//	rnn, _ := graph.NewRecurrent(params, "rnn", graph.RecurrentConfig{Cell: graph.LSTM, InputSize: 64, HiddenSize: 32})
//	fc, _ := graph.NewLinear(params, "fc", rnn.OutputWidth(), 4)
//
//	g, _ := graph.New(params, graph.Config{Batch: batch, Steps: steps, Training: true})
//	x, _ := emb.Build(g)                        // T steps [B, 64]
//	out, _ := rnn.Build(g, x, nil)              // T steps [B, 32], final states
//	pooled, _ := graph.Pool(g, out, graph.Last) // [B, 32]
//	logits, _ := fc.Build(g, pooled)            // [B, 4]
//	loss, _ := graph.CrossEntropy(g, logits)
//	_ = g.Compile(loss)
//	_ = g.SetBatch(ids, lengths, labels)
//	_ = g.Run()               // forward and backward
//	_ = g.AccumulateGrads(1)  // gradients into each Param.Grad
//
// Each graph is built by one implementation (Config.Impl): Fused, the
// default, adds each layer direction, the embedding lookup, merges and
// poolings as single Gorgonia ops with hand-written forward and backward
// kernels (their gradients still come from gorgonia.Grad through each op's
// symbolic derivative), and serves every batch padded to at most
// Config.Steps; Composed unrolls every step into primitive Gorgonia ops and
// is the clear reference. Tests hold both equal to PyTorch. Models declare
// their layers once and never see the difference.
//
// Every exported function returns errors instead of panicking; Gorgonia's
// own panics are recovered at the API edge.
package graph
