#!/usr/bin/env python3
"""PyTorch <-> gornn model directory interop fixtures (run by hand with
Debian's python3-torch 1.13; CI never runs it).

    /usr/bin/python3 models/testdata/interop.py write
        Builds PyTorch classifiers with random weights, writes each as a
        gornn model directory under models/testdata/torch/<name>/ and the
        logits PyTorch computes for TEXTS to .../expected.json.
        models/interop_test.go loads them and must predict the same logits.

    /usr/bin/python3 models/testdata/interop.py check
        Loads each model directory that the Go test wrote under
        models/testdata/gornn/<name>/ (GORNN_UPDATE_INTEROP=1 go test
        ./models/ -run Interop) into the PyTorch module and checks its
        logits against the ones gornn computed (gornn_logits.json).

The PyTorch equivalent of models.Classifier (its state_dict names are the
tensor names of model.safetensors) and the safetensors reader and writer
live in cmd/bench/gornn_torch.py, shared with the benchmark.
"""
import json
import os
import re
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "cmd", "bench"))
from gornn_torch import Classifier, load_model_dir, write_safetensors  # noqa: E402

TEXTS = [
    "the match was good , not bad",
    "I thought it would be bad, but it was great!",
    "Stocks fell (again) on Monday's news.",
    "unknown words zzz qqq",
    "good",
]
CONFIGS = {
    "lstm_last": dict(cell="lstm", num_layers=1, bidirectional=False, merge="concat", pooling="last", padded=False),
    "gru_bi2_mean": dict(cell="gru", num_layers=2, bidirectional=True, merge="concat", pooling="mean", padded=False),
    "rnn_mean_all_padded": dict(cell="rnn_tanh", num_layers=1, bidirectional=False, merge="concat", pooling="mean_all", padded=True),
    "lstm_bi_sum_max": dict(cell="lstm", num_layers=1, bidirectional=True, merge="sum", pooling="max", padded=False),
}


def basic_english(line):
    """torchtext's basic_english tokenizer."""
    line = line.lower()
    for pattern, repl in [(r"\'", " '  "), (r"\"", ""), (r"\.", " . "), (r"<br \/>", " "), (r",", " , "),
                          (r"\(", " ( "), (r"\)", " ) "), (r"\!", " ! "), (r"\?", " ? "), (r"\;", " "),
                          (r"\:", " "), (r"\s+", " ")]:
        line = re.sub(pattern, repl, line)
    return line.split()


def encode(texts, vocab):
    index = {t: i for i, t in enumerate(vocab)}
    seqs = [[index.get(t, 1) for t in basic_english(s)] or [1] for s in texts]
    lengths = torch.tensor([len(s) for s in seqs])
    ids = torch.zeros(len(seqs), int(lengths.max()), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
    return ids, lengths


def write():
    torch.manual_seed(20261129)
    vocab = ["<pad>", "<unk>"] + sorted({t for s in TEXTS for t in basic_english(s)} - {"zzz", "qqq"})
    for name, spec in CONFIGS.items():
        cfg = dict(format="gornn-classifier/1", vocab_size=len(vocab), embed_dim=6, hidden_size=5, dropout=0.0,
                   num_classes=3, labels=["World", "Sports", "Business"], tokenizer="basic_english", max_len=0, **spec)
        model = Classifier(cfg).eval()
        out = os.path.join(HERE, "torch", name)
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        with open(os.path.join(out, "vocab.txt"), "w") as f:
            f.write("".join(t + "\n" for t in vocab))
        write_safetensors(os.path.join(out, "model.safetensors"), model.state_dict())
        with torch.no_grad():
            logits = model(*encode(TEXTS, vocab))
        with open(os.path.join(out, "expected.json"), "w") as f:
            json.dump({"texts": TEXTS, "logits": logits.tolist()}, f, indent=1)
        print("wrote", out)


def check():
    root = os.path.join(HERE, "gornn")
    worst = 0.0
    for name in sorted(os.listdir(root)):
        model, vocab = load_model_dir(os.path.join(root, name))
        with open(os.path.join(root, name, "gornn_logits.json")) as f:
            want = json.load(f)
        with torch.no_grad():
            got = model(*encode(want["texts"], vocab))
        err = (got - torch.tensor(want["logits"])).abs().max().item()
        worst = max(worst, err)
        print(f"{name}: PyTorch logits vs gornn's: max abs difference {err:.2e}")
    assert worst <= 1e-4, worst
    print("all gornn model directories load into PyTorch and give gornn's logits (<= 1e-4)")


if __name__ == "__main__":
    {"write": write, "check": check}[sys.argv[1] if len(sys.argv) > 1 else "write"]()
