// Package graph declares the layers of gornn's recurrent sequence models
// and builds them into Gorgonia expression graphs, for any task:
// classifiers, language models, taggers and encoder-decoders.
//
// A model is declared once: its layers register named parameters (PyTorch
// state_dict names such as "rnn.weight_ih_l0") in a Params set, with
// PyTorch's shapes, gate order and default initialisations. The same
// parameter values are then bound into any number of graphs, one for each
// batch shape and one per data-parallel worker, so that the parameter
// values are shared while each graph keeps its own activations and
// gradients.
//
// A graph's per-batch inputs are explicit. NewSequence declares a padded
// token sequence (B rows of ids, each with its true length); a graph may
// hold several, each with its own padded length and lengths (a
// translation's source and target). NewLabels and NewTokenTargets declare
// the targets of a loss, one class per row or one id per token; NewInput a
// float input such as an initial state carried over from the previous
// window. Layers take their inputs as arguments and return their outputs:
//
//	x, _ := emb.Build(g, tokens)                 // Seq [T, B, E] over the tokens' lengths
//	out, _ := rnn.Build(g, x, nil)               // Seq [T, B, H], final states
//	logits, _ := fc.BuildSeq(g, out.Outputs)     // Seq [T, B, V]: a linear layer at every step
//	loss, _ := graph.SequenceCrossEntropy(g, logits, targets, graph.LossOptions{})
//
// Float sequences inside a graph are time-major: a Seq of T steps [B, F]
// (or one node [T, B, F]) that carries the lengths of the token sequence it
// came from. Recurrent layers follow the semantics of PyTorch's packed
// sequences (a row's state stops changing after its last real token,
// outputs at padded steps are zero, the final state is the state at the
// true last token, and the backward direction of a bidirectional layer
// starts at each row's own last token). RecurrentCell.Step and
// Recurrent.Step advance a cell or a stack one step at a time, with state
// carried in and out, for decoders and sampling. For one row at a time
// without gradients (generation), RowStepper steps a float32 LSTM or GRU
// stack outside any graph, giving a fused graph's bits without the fixed
// cost of a graph run.
//
// The typical flow of a classifier (see Example) is
//
//	params, _ := graph.NewParams(tensor.Float32, seed)
//	emb, _ := graph.NewEmbedding(params, "embedding", vocabSize, 64, 0)
//	rnn, _ := graph.NewRecurrent(params, "rnn", graph.RecurrentConfig{Cell: graph.LSTM, InputSize: 64, HiddenSize: 32})
//	fc, _ := graph.NewLinear(params, "fc", rnn.OutputWidth(), 4)
//
//	g, _ := graph.New(params, graph.Config{Batch: batch, Training: true})
//	tokens, _ := g.NewSequence("tokens", graph.SequenceConfig{Steps: steps})
//	labels := g.NewLabels("labels")
//	x, _ := emb.Build(g, tokens)                // T steps [B, 64]
//	out, _ := rnn.Build(g, x, nil)              // T steps [B, 32], final states
//	pooled, _ := graph.Pool(g, out, graph.Last) // [B, 32]
//	logits, _ := fc.Build(g, pooled)            // [B, 4]
//	loss, _ := graph.CrossEntropy(g, logits, labels, graph.LossOptions{})
//	_ = g.Compile(loss)
//	_ = tokens.Set(ids, lengths)
//	_ = labels.Set(classes)
//	_ = g.Run()               // forward and backward
//	_ = g.AccumulateGrads(1)  // gradients into each Param.Grad
//
// Each graph is built by one implementation (Config.Impl). Composed
// unrolls every step into primitive Gorgonia ops: the clear reference.
// Fused, the default, adds each layer direction, the embedding lookup,
// merges, poolings, per-step linear layers and the cross-entropy as single
// Gorgonia ops with hand-written forward and backward kernels; each takes
// its sequence's lengths as an input and computes only the batch's real
// steps, so a fused graph serves every batch padded to at most its
// sequences' capacity. Tests hold both equal to PyTorch.
//
// Every gradient comes from gorgonia.Grad: Compile differentiates the loss
// with respect to every parameter the graph uses (Learnables), through
// each fused op's symbolic derivative, which returns the gradients of its
// inputs and of its weights. Gorgonia sums a parameter's gradients over
// its uses (tied weights, a cell stepped many times) and binds them to the
// parameter node's dual value, so a Gorgonia solver over Learnables()
// trains every parameter. One gradient is kept row-sparse: an embedding
// weight that only the fused lookup reads gets, as its gradient node's
// value, a buffer in which only the batch's tokens' rows are written,
// because adding it into a dense dual value would touch every row of the
// vocabulary at every step; AccumulateGrads moves just those rows.
//
// Every exported function returns errors instead of panicking; Gorgonia's
// own panics are recovered at the API edge.
package graph
