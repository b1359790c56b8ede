#!/usr/bin/env python3
"""Generates graph/testdata/pytorch_rnn.json, the PyTorch parity fixtures.

Run by hand with Debian's python3-torch 1.13 (CI never runs it):

    /usr/bin/python3 graph/testdata/make_fixtures.py

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


def main():
    torch.manual_seed(20261129)
    torch.set_num_threads(1)
    cases = []
    for cell in ("rnn_tanh", "rnn_relu", "lstm", "gru"):
        for layers in (1, 2):
            for bidirectional in (False, True):
                cases.append(make_case(len(cases), cell, layers, bidirectional, packed=True))
        cases.append(make_case(len(cases), cell, 1, False, packed=False))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytorch_rnn.json")
    with open(path, "w") as f:
        json.dump({"torch_version": torch.__version__, "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases to {path}")


if __name__ == "__main__":
    main()
