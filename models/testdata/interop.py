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

The module below is the PyTorch equivalent of models.Classifier; its
state_dict names are the tensor names of model.safetensors.
"""
import json
import os
import re
import struct
import sys

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

HERE = os.path.dirname(os.path.abspath(__file__))
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


class Classifier(nn.Module):
    """models.Classifier in PyTorch: Embedding -> RNN/LSTM/GRU -> pooling -> Linear."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        E, H = cfg["embed_dim"], cfg["hidden_size"]
        self.embedding = nn.Embedding(cfg["vocab_size"], E, padding_idx=0)
        args = dict(num_layers=cfg["num_layers"], batch_first=True, bidirectional=cfg["bidirectional"], dropout=cfg["dropout"])
        if cfg["cell"].startswith("rnn_"):
            self.rnn = nn.RNN(E, H, nonlinearity=cfg["cell"][4:], **args)
        else:
            self.rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[cfg["cell"]](E, H, **args)
        width = 2 * H if cfg["bidirectional"] and cfg["merge"] == "concat" else H
        self.fc = nn.Linear(width, cfg["num_classes"])

    def merge(self, a, b):
        return {"concat": lambda: torch.cat([a, b], -1), "sum": lambda: a + b,
                "mul": lambda: a * b, "ave": lambda: (a + b) / 2}[self.cfg["merge"]]()

    def forward(self, ids, lengths):
        """ids [B, T] padded with 0, lengths [B] -> logits [B, C]."""
        T = ids.shape[1]
        x = self.embedding(ids)
        if self.cfg["padded"]:
            lengths = torch.full_like(lengths, T)
            out, state = self.rnn(x)
        else:
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, state = self.rnn(packed)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
        h_n = state[0] if isinstance(state, tuple) else state
        if self.cfg["bidirectional"]:
            H = self.cfg["hidden_size"]
            out = self.merge(out[..., :H], out[..., H:])
        pooling = self.cfg["pooling"]
        if pooling == "last":
            pooled = self.merge(h_n[-2], h_n[-1]) if self.cfg["bidirectional"] else h_n[-1]
        elif pooling == "mean":
            pooled = out.sum(1) / lengths[:, None].float()
        elif pooling == "max":
            real = torch.arange(T)[None, :] < lengths[:, None]
            pooled = out.masked_fill(~real[..., None], float("-inf")).max(1).values
        else:
            pooled = out.mean(1)
        return self.fc(pooled)


def encode(texts, vocab):
    index = {t: i for i, t in enumerate(vocab)}
    seqs = [[index.get(t, 1) for t in basic_english(s)] or [1] for s in texts]
    lengths = torch.tensor([len(s) for s in seqs])
    ids = torch.zeros(len(seqs), int(lengths.max()), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
    return ids, lengths


def write_safetensors(path, tensors):
    """The safetensors format: u64 header size, JSON header, raw data."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().contiguous().float().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, h in header.items():
        assert h["dtype"] == "F32", (name, h["dtype"])
        begin, end = h["data_offsets"]
        data = bytearray(raw[8 + n + begin:8 + n + end])
        out[name] = torch.frombuffer(data, dtype=torch.float32).reshape(h["shape"]).clone()
    return out


def load_model_dir(path):
    with open(os.path.join(path, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(path, "vocab.txt")) as f:
        vocab = f.read().split("\n")[:-1]
    model = Classifier(cfg)
    model.load_state_dict(read_safetensors(os.path.join(path, "model.safetensors")))
    return model.eval(), vocab


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
