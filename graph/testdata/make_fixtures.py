#!/usr/bin/env python3
"""Generates graph/testdata/pytorch_rnn.json and pytorch_sequence.json, the
PyTorch parity fixtures.

Run by hand with Debian's python3-torch 1.13 (CI never runs it):

    /usr/bin/python3 graph/testdata/make_fixtures.py

pytorch_sequence.json holds the sequence tasks' cases (see sequence_case,
encoder_decoder_case and cell_case).

For every case it builds Embedding(V, E, padding_idx=0) -> nn.RNN/LSTM/GRU
(batch_first, packed with ragged lengths, enforce_sorted=False, or unpacked)
-> four poolings -> Linear(F, C), with PyTorch's default random weights, and
saves the inputs, weights, outputs, final states, pooled logits, the value of
a fixed scalar loss and its gradient with respect to every parameter and to
the embedded inputs.
"""
import json
import os

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

VOCAB, EMBED, HIDDEN, CLASSES = 11, 5, 4, 3
LENGTHS = [6, 3, 1, 4]  # a full row, a length-1 row, ragged others
STEPS = max(LENGTHS)


def module(cell, layers, bidirectional):
    kwargs = dict(num_layers=layers, batch_first=True, bidirectional=bidirectional)
    if cell in ("rnn_tanh", "rnn_relu"):
        return nn.RNN(EMBED, HIDDEN, nonlinearity=cell[4:], **kwargs)
    return {"lstm": nn.LSTM, "gru": nn.GRU}[cell](EMBED, HIDDEN, **kwargs)


def tensor_json(t):
    t = t.detach().contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def make_case(seed, cell, layers, bidirectional, packed):
    gen = torch.Generator().manual_seed(seed)
    lengths = LENGTHS if packed else [STEPS] * len(LENGTHS)
    batch = len(lengths)
    tokens = torch.zeros(batch, STEPS, dtype=torch.long)
    for b, n in enumerate(lengths):
        tokens[b, :n] = torch.randint(1, VOCAB, (n,), generator=gen)
    labels = torch.randint(0, CLASSES, (batch,), generator=gen)

    embedding = nn.Embedding(VOCAB, EMBED, padding_idx=0)
    rnn = module(cell, layers, bidirectional)
    width = HIDDEN * (2 if bidirectional else 1)
    fc = nn.Linear(width, CLASSES)
    named = [("embedding." + n, p) for n, p in embedding.named_parameters()]
    named += [("rnn." + n, p) for n, p in rnn.named_parameters()]
    named += [("fc." + n, p) for n, p in fc.named_parameters()]

    embedded = embedding(tokens)
    embedded.retain_grad()
    if packed:
        seq = pack_padded_sequence(embedded, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
        out, state = rnn(seq)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=STEPS)
    else:
        out, state = rnn(embedded)
    h_n, c_n = state if cell == "lstm" else (state, None)

    real = (torch.arange(STEPS)[None, :] < torch.tensor(lengths)[:, None]).float()[:, :, None]
    last = torch.cat([h_n[-2], h_n[-1]], dim=1) if bidirectional else h_n[-1]
    pooled = {
        "last": last,
        "mean": out.sum(dim=1) / torch.tensor(lengths, dtype=torch.float)[:, None],
        "max": out.masked_fill(real == 0, float("-inf")).max(dim=1).values,
        "mean_all": out.mean(dim=1),
    }
    logits = {k: fc(v) for k, v in pooled.items()}

    weights = {
        "outputs": torch.randn(out.shape, generator=gen),
        "h_n": torch.randn(h_n.shape, generator=gen),
    }
    loss = (out * weights["outputs"]).sum() + (h_n * weights["h_n"]).sum()
    if c_n is not None:
        weights["c_n"] = torch.randn(c_n.shape, generator=gen)
        loss = loss + (c_n * weights["c_n"]).sum()
    for k, v in logits.items():
        weights["logits_" + k] = torch.randn(v.shape, generator=gen)
        loss = loss + (v * weights["logits_" + k]).sum()
    cross_entropy = nn.functional.cross_entropy(logits["last"], labels)
    loss = loss + cross_entropy
    loss.backward()

    outputs = {"outputs": out, "h_n": h_n, "cross_entropy": cross_entropy, "loss": loss}
    if c_n is not None:
        outputs["c_n"] = c_n
    outputs.update({"logits_" + k: v for k, v in logits.items()})
    grads = {n: p.grad for n, p in named}
    grads["embedded"] = embedded.grad
    return {
        "name": f"{cell}/layers={layers}/bidirectional={bidirectional}/packed={packed}",
        "cell": cell,
        "num_layers": layers,
        "bidirectional": bidirectional,
        "vocab_size": VOCAB,
        "embed_dim": EMBED,
        "hidden_size": HIDDEN,
        "num_classes": CLASSES,
        "tokens": tokens.reshape(-1).tolist(),
        "lengths": lengths,
        "labels": labels.tolist(),
        "params": {n: tensor_json(p) for n, p in named},
        "weights": {k: tensor_json(v) for k, v in weights.items()},
        "outputs": {k: tensor_json(v) for k, v in outputs.items()},
        "grads": {k: tensor_json(v) for k, v in grads.items()},
    }


# The sequence cases: per-step logits over a vocabulary and a masked
# cross-entropy, the losses of language models, taggers and decoders.
SEQ_VOCAB, SEQ_LENGTHS = 13, [5, 2, 4]
SEQ_STEPS = max(SEQ_LENGTHS)


def random_tokens(gen, lengths, steps, vocab):
    tokens = torch.zeros(len(lengths), steps, dtype=torch.long)
    for b, n in enumerate(lengths):
        tokens[b, :n] = torch.randint(1, vocab, (n,), generator=gen)
    return tokens


def packed_run(rnn, embedded, lengths, steps, state=None):
    seq = pack_padded_sequence(embedded, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
    out, state = rnn(seq, state)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=steps)
    return out, state


def result(name, named, extra, outputs, grads):
    case = {"name": name, "params": {n: tensor_json(p) for n, p in named}}
    case.update(extra)
    case["outputs"] = {k: tensor_json(v) for k, v in outputs.items()}
    case["grads"] = {k: tensor_json(v) for k, v in grads.items()}
    return case


def sequence_case(seed, cell, layers, bidirectional, classes, ignore_index, smoothing):
    """Embedding -> packed recurrent stack -> Linear at every step ->
    cross_entropy(ignore_index, label_smoothing) over the real tokens: a
    language model (targets in the vocabulary, padded with ignore_index 0)
    or a tagger (classes tags, padded with -100)."""
    gen = torch.Generator().manual_seed(seed)
    tokens = random_tokens(gen, SEQ_LENGTHS, SEQ_STEPS, SEQ_VOCAB)
    targets = torch.full((len(SEQ_LENGTHS), SEQ_STEPS), ignore_index, dtype=torch.long)
    for b, n in enumerate(SEQ_LENGTHS):
        low = 1 if ignore_index == 0 else 0
        targets[b, :n] = torch.randint(low, classes, (n,), generator=gen)
    embedding = nn.Embedding(SEQ_VOCAB, EMBED, padding_idx=0)
    rnn = module(cell, layers, bidirectional)
    fc = nn.Linear(HIDDEN * (2 if bidirectional else 1), classes)
    named = [("embedding." + n, p) for n, p in embedding.named_parameters()]
    named += [("rnn." + n, p) for n, p in rnn.named_parameters()]
    named += [("fc." + n, p) for n, p in fc.named_parameters()]
    embedded = embedding(tokens)
    embedded.retain_grad()
    out, _ = packed_run(rnn, embedded, SEQ_LENGTHS, SEQ_STEPS)
    logits = fc(out)
    loss = nn.functional.cross_entropy(logits.reshape(-1, classes), targets.reshape(-1),
                                       ignore_index=ignore_index, label_smoothing=smoothing)
    loss.backward()
    grads = {n: p.grad for n, p in named}
    grads["embedded"] = embedded.grad
    name = f"{cell}/layers={layers}/bidirectional={bidirectional}/classes={classes}/smoothing={smoothing}"
    extra = {"cell": cell, "num_layers": layers, "bidirectional": bidirectional, "classes": classes,
             "label_smoothing": smoothing, "tokens": tokens.reshape(-1).tolist(), "lengths": SEQ_LENGTHS,
             "targets": [t if t != ignore_index else -100 for t in targets.reshape(-1).tolist()]}
    return result(name, named, extra, {"logits": logits, "loss": loss}, grads)


def encoder_decoder_case(seed, cell):
    """Two sequences of different lengths: an encoder over the source, whose
    final states start a decoder over the target, Linear at every target
    step, cross-entropy over the target's real tokens."""
    gen = torch.Generator().manual_seed(seed)
    src_lengths, tgt_lengths = [3, 6, 1], [4, 2, 5]
    src = random_tokens(gen, src_lengths, max(src_lengths), SEQ_VOCAB)
    tgt = random_tokens(gen, tgt_lengths, max(tgt_lengths), SEQ_VOCAB)
    targets = torch.zeros_like(tgt)
    for b, n in enumerate(tgt_lengths):
        targets[b, :n] = torch.randint(1, SEQ_VOCAB, (n,), generator=gen)
    src_embedding = nn.Embedding(SEQ_VOCAB, EMBED, padding_idx=0)
    tgt_embedding = nn.Embedding(SEQ_VOCAB, EMBED, padding_idx=0)
    encoder, decoder = module(cell, 1, False), module(cell, 1, False)
    fc = nn.Linear(HIDDEN, SEQ_VOCAB)
    named = []
    for prefix, m in (("src_embedding.", src_embedding), ("tgt_embedding.", tgt_embedding),
                      ("encoder.", encoder), ("decoder.", decoder), ("fc.", fc)):
        named += [(prefix + n, p) for n, p in m.named_parameters()]
    _, state = packed_run(encoder, src_embedding(src), src_lengths, max(src_lengths))
    out, _ = packed_run(decoder, tgt_embedding(tgt), tgt_lengths, max(tgt_lengths), state)
    logits = fc(out)
    loss = nn.functional.cross_entropy(logits.reshape(-1, SEQ_VOCAB), targets.reshape(-1), ignore_index=0)
    loss.backward()
    extra = {"cell": cell, "source": src.reshape(-1).tolist(), "source_lengths": src_lengths,
             "target": tgt.reshape(-1).tolist(), "target_lengths": tgt_lengths,
             "targets": [t if t != 0 else -100 for t in targets.reshape(-1).tolist()]}
    return result(f"encoder_decoder/{cell}", named, extra, {"logits": logits, "loss": loss},
                  {n: p.grad for n, p in named})


def cell_case(seed, cell):
    """A cell stepped by hand with input feeding: x_t = [embedding(y_t),
    h_{t-1}], every row stepping every step, Linear on each h_t, and a
    cross-entropy over the real steps."""
    gen = torch.Generator().manual_seed(seed)
    tokens = random_tokens(gen, SEQ_LENGTHS, SEQ_STEPS, SEQ_VOCAB)
    targets = torch.zeros_like(tokens)
    for b, n in enumerate(SEQ_LENGTHS):
        targets[b, :n] = torch.randint(1, SEQ_VOCAB, (n,), generator=gen)
    embedding = nn.Embedding(SEQ_VOCAB, EMBED, padding_idx=0)
    step = {"rnn_tanh": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}[cell](EMBED + HIDDEN, HIDDEN)
    fc = nn.Linear(HIDDEN, SEQ_VOCAB)
    named = [("embedding." + n, p) for n, p in embedding.named_parameters()]
    named += [("cell." + n, p) for n, p in step.named_parameters()]
    named += [("fc." + n, p) for n, p in fc.named_parameters()]
    batch = len(SEQ_LENGTHS)
    h = torch.zeros(batch, HIDDEN)
    c = torch.zeros(batch, HIDDEN)
    logits = []
    for t in range(SEQ_STEPS):
        x = torch.cat([embedding(tokens[:, t]), h], dim=1)
        if cell == "lstm":
            h, c = step(x, (h, c))
        else:
            h = step(x, h)
        logits.append(fc(h))
    logits = torch.stack(logits, dim=1)
    loss = nn.functional.cross_entropy(logits.reshape(-1, SEQ_VOCAB), targets.reshape(-1), ignore_index=0)
    loss.backward()
    extra = {"cell": cell, "tokens": tokens.reshape(-1).tolist(), "lengths": SEQ_LENGTHS,
             "targets": [t if t != 0 else -100 for t in targets.reshape(-1).tolist()]}
    return result(f"cell/{cell}", named, extra, {"logits": logits, "loss": loss},
                  {n: p.grad for n, p in named})


def sequence_cases():
    torch.manual_seed(20261207)
    cases = []
    for cell in ("rnn_tanh", "lstm", "gru"):
        for layers in (1, 2):
            cases.append(sequence_case(100 + len(cases), cell, layers, False, SEQ_VOCAB, 0, 0.0))
    cases.append(sequence_case(100 + len(cases), "lstm", 1, False, SEQ_VOCAB, 0, 0.1))
    cases.append(sequence_case(100 + len(cases), "lstm", 2, True, 4, -100, 0.0))
    cases.append(sequence_case(100 + len(cases), "gru", 1, True, 4, -100, 0.2))
    for cell in ("lstm", "gru"):
        cases.append(encoder_decoder_case(200 + len(cases), cell))
    for cell in ("rnn_tanh", "lstm", "gru"):
        cases.append(cell_case(300 + len(cases), cell))
    return cases


def write(name, cases):
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    with open(path, "w") as f:
        json.dump({"torch_version": torch.__version__, "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases to {path}")


def main():
    torch.manual_seed(20261129)
    torch.set_num_threads(1)
    cases = []
    for cell in ("rnn_tanh", "rnn_relu", "lstm", "gru"):
        for layers in (1, 2):
            for bidirectional in (False, True):
                cases.append(make_case(len(cases), cell, layers, bidirectional, packed=True))
        cases.append(make_case(len(cases), cell, 1, False, packed=False))
    write("pytorch_rnn.json", cases)
    write("pytorch_sequence.json", sequence_cases())


if __name__ == "__main__":
    main()
