"""gornn's models.Classifier in PyTorch, and its model directories.

Classifier(cfg) is the torch.nn module equivalent to models.Classifier for
the settings of a model directory's config.json; its state_dict names are
the tensor names of model.safetensors. read_safetensors and
write_safetensors read and write that format in plain Python (no
safetensors package needed), and load_model_dir loads a whole directory.

Used by cmd/bench/torch_bench.py (the PyTorch side of the benchmark) and
by models/testdata/interop.py (the interop fixtures). Needs PyTorch 1.13.
"""
import json
import os
import struct

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


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
    """Reads a safetensors file of F32 tensors into a dict of tensors."""
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
    """Loads a gornn model directory: (Classifier in eval mode, vocabulary list)."""
    with open(os.path.join(path, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(path, "vocab.txt")) as f:
        vocab = f.read().split("\n")[:-1]
    model = Classifier(cfg)
    model.load_state_dict(read_safetensors(os.path.join(path, "model.safetensors")))
    return model.eval(), vocab
