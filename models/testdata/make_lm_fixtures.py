#!/usr/bin/env python3
"""Generates models/testdata/pytorch_lm.json, the language model's PyTorch
parity fixtures.

Run by hand with Debian's python3-torch 1.13 (CI never runs it):

    /usr/bin/python3 models/testdata/make_lm_fixtures.py

Each case is PyTorch's word_language_model RNNModel (examples/
word_language_model/model.py, copied below: encoder -> dropout -> RNN ->
dropout -> decoder, optionally tied), 2 layers, LSTM or GRU, tied or not,
dropout 0, trained like main.py's train(): one token stream cut into B
columns (batchify), two consecutive BPTT windows (get_batch), the hidden
state carried from the first window into the second and detached
between them (repackage_hidden). For each window it records the per-step
logits [T, B, V], the loss (cross_entropy over the window's T*B next
tokens) and the gradient of every parameter (gradients zeroed between
the windows, as model.zero_grad() does).

The weights are drawn in float32 (RNNModel's own initialisation) and the
reference computed in float64 from them, so that gornn's float32 run is
compared with exact values.
"""
import json
import os

import torch
from torch import nn
import torch.nn.functional as F

VOCAB, SIZE, LAYERS, COLUMNS, BPTT = 11, 6, 2, 3, 4
WINDOWS = 2


class RNNModel(nn.Module):
    """word_language_model's RNNModel (LSTM and GRU branches)."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            if nhid != ninp:
                raise ValueError("When using the tied flag, nhid must be equal to emsize")
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden, decoded

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == "LSTM":
            return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))
        return weight.new_zeros(self.nlayers, bsz, self.nhid)


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()  # [n, B]


def get_batch(source, i):
    seq_len = min(BPTT, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].reshape(-1)


def tensor_json(t):
    t = t.detach().contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def make_case(seed, cell, tied):
    torch.manual_seed(seed)
    model = RNNModel(cell, VOCAB, SIZE, SIZE, LAYERS, dropout=0.0, tie_weights=tied)
    weights = {n: p.detach().clone() for n, p in model.named_parameters()}
    model = model.double()
    stream = torch.randint(0, VOCAB, (COLUMNS * (WINDOWS * BPTT + 1),))
    source = batchify(stream, COLUMNS)
    criterion = nn.NLLLoss()
    hidden = model.init_hidden(COLUMNS)
    windows = []
    for i in range(0, WINDOWS * BPTT, BPTT):
        data, targets = get_batch(source, i)
        model.zero_grad()
        hidden = repackage_hidden(hidden)
        output, hidden, logits = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()
        windows.append({
            # [B, T] row-major, like a gornn batch
            "ids": data.t().reshape(-1).tolist(),
            "targets": targets.view(-1, COLUMNS).t().reshape(-1).tolist(),
            "logits": tensor_json(logits.view(-1, COLUMNS, VOCAB)),  # [T, B, V]
            "loss": loss.item(),
            "grads": {n: tensor_json(p.grad) for n, p in model.named_parameters()},
        })
    return {
        "name": f"{cell.lower()}/tied={tied}",
        "cell": cell.lower(),
        "tied": tied,
        "vocab_size": VOCAB,
        "size": SIZE,
        "num_layers": LAYERS,
        "columns": COLUMNS,
        "bptt": BPTT,
        "params": {n: tensor_json(p) for n, p in weights.items()},
        "windows": windows,
    }


def main():
    cases = [make_case(10 + i, cell, tied) for i, (cell, tied) in
             enumerate([("LSTM", False), ("LSTM", True), ("GRU", False), ("GRU", True)])]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytorch_lm.json")
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
