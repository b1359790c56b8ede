#!/usr/bin/env python3
"""Generates models/testdata/pytorch_seq2seq.json, the PyTorch parity
fixtures of models.Seq2Seq. Run by hand with Debian's python3-torch 1.13
(CI never runs it):

    /usr/bin/python3 models/testdata/make_seq2seq_fixtures.py

For each case (one per attention score, with the other options varied) it
builds cmd/bench/gornn_seq2seq.Seq2Seq with PyTorch's default random
weights and saves, for a batch of three pairs of ragged lengths under
teacher forcing: the weights, the encoder outputs, every decoder step's
attention weights and logits, the masked cross-entropy (with the case's
label smoothing) and its gradient with respect to every parameter. Then
it runs the module's own plain beam search (gornn_seq2seq.beam_search)
over the same weights for a few sources, greedily and with a beam, and
saves the n-best outputs with their log-probabilities and scores.
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "cmd", "bench"))
from gornn_seq2seq import BOS, EOS, Seq2Seq, beam_search  # noqa: E402

SRC_VOCAB, TGT_VOCAB = 9, 11
SRC_LENGTHS = [5, 2, 4]
TGT_LENGTHS = [3, 1, 2]  # target tokens; the decoder reads <bos> + them, predicts them + <eos>
BEAM_SOURCES = [[4, 5, 6], [7], [8, 4, 4, 5]]
BEAMS = [dict(width=1, nbest=1, alpha=0.0, max_len_ratio=3.0), dict(width=3, nbest=3, alpha=0.6, max_len_ratio=1.5)]

CASES = [
    dict(name="additive/lstm/bidirectional/input_feeding/smoothing", attention="additive", cell="lstm", bidirectional=True,
         encoder_hidden=3, decoder_hidden=4, encoder_layers=1, decoder_layers=1, embed_dim=4, attention_size=5,
         input_feeding=True, bridge="linear", tie_embeddings=False, label_smoothing=0.1),
    dict(name="dot/gru/zeros_bridge/tied", attention="dot", cell="gru", bidirectional=False,
         encoder_hidden=4, decoder_hidden=4, encoder_layers=1, decoder_layers=1, embed_dim=4, attention_size=0,
         input_feeding=False, bridge="zeros", tie_embeddings=True, label_smoothing=0.0),
    dict(name="general/lstm/2_layers/input_feeding", attention="general", cell="lstm", bidirectional=True,
         encoder_hidden=3, decoder_hidden=5, encoder_layers=2, decoder_layers=2, embed_dim=4, attention_size=0,
         input_feeding=True, bridge="linear", tie_embeddings=False, label_smoothing=0.0),
]


def tensor_json(t):
    t = t.detach().contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def make_case(seed, case):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    cfg = dict(case, format="gornn-seq2seq/1", src_vocab_size=SRC_VOCAB, tgt_vocab_size=TGT_VOCAB, dropout=0.0,
               src_tokenizer="char", tgt_tokenizer="whitespace", max_source_len=128)
    del cfg["name"]
    model = Seq2Seq(cfg)
    B, S, T = len(SRC_LENGTHS), max(SRC_LENGTHS), max(TGT_LENGTHS) + 1
    src = torch.zeros(B, S, dtype=torch.long)
    tgt_in = torch.zeros(B, T, dtype=torch.long)
    targets = torch.full((B, T), -100, dtype=torch.long)
    for b, (n, m) in enumerate(zip(SRC_LENGTHS, TGT_LENGTHS)):
        src[b, :n] = torch.randint(4, SRC_VOCAB, (n,), generator=gen)
        y = torch.randint(4, TGT_VOCAB, (m,), generator=gen)
        tgt_in[b, 0], tgt_in[b, 1:m + 1] = BOS, y
        targets[b, :m], targets[b, m] = y, EOS
    logits, weights, memory = model(src, torch.tensor(SRC_LENGTHS), tgt_in)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, TGT_VOCAB), targets.reshape(-1), label_smoothing=case["label_smoothing"])
    loss.backward()
    named = list(model.named_gornn_parameters())
    beams = []
    for beam in BEAMS:
        lists = beam_search(model.eval(), BEAM_SOURCES, **beam)
        beams.append(dict(beam, outputs=[[dict(tokens=t, log_prob=lp, score=s) for t, lp, s in l] for l in lists]))
    return {
        "name": case["name"],
        "config": cfg,
        "source": src.reshape(-1).tolist(), "source_lengths": SRC_LENGTHS,
        "target_input": tgt_in.reshape(-1).tolist(), "target_lengths": [m + 1 for m in TGT_LENGTHS],
        "targets": targets.reshape(-1).tolist(),
        "params": {n: tensor_json(p) for n, p in named},
        "outputs": {"memory": tensor_json(memory), "weights": tensor_json(weights), "logits": tensor_json(logits), "loss": tensor_json(loss)},
        "grads": {n: tensor_json(p.grad) for n, p in named},
        "beam_sources": BEAM_SOURCES,
        "beams": beams,
    }


def main():
    cases = [make_case(100 + i, c) for i, c in enumerate(CASES)]
    with open(os.path.join(HERE, "pytorch_seq2seq.json"), "w") as f:
        json.dump({"generator": "models/testdata/make_seq2seq_fixtures.py", "torch": torch.__version__, "cases": cases}, f)


if __name__ == "__main__":
    main()
