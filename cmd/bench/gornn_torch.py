"""gornn's models.Classifier and models.Tagger in PyTorch, and their model
directories.

Classifier(cfg) is the torch.nn module equivalent to models.Classifier for
the settings of a model directory's config.json; Tagger(cfg) is
models.Tagger's (its CRF written here, batched, as pytorch-crf writes one).
Their state_dict names are the tensor names of model.safetensors.
read_safetensors and write_safetensors read and write that format in plain
Python (no safetensors package needed), and load_model_dir loads a whole
directory of either kind. Both modules have loss(ids, lengths, targets)
and correct(ids, lengths, targets) -> (right, counted), the training loss
and the rows (classifier) or tokens (tagger) predicted right.

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

    def loss(self, ids, lengths, labels):
        return nn.functional.cross_entropy(self(ids, lengths), labels)

    def correct(self, ids, lengths, labels):
        return int((self(ids, lengths).argmax(1) == labels).sum()), len(labels)


class CRF(nn.Module):
    """graph.CRF: a linear-chain CRF with pytorch-crf's parameter names, batched over rows."""

    def __init__(self, tags):
        super().__init__()
        self.start_transitions = nn.Parameter(torch.empty(tags).uniform_(-0.1, 0.1))
        self.end_transitions = nn.Parameter(torch.empty(tags).uniform_(-0.1, 0.1))
        self.transitions = nn.Parameter(torch.empty(tags, tags).uniform_(-0.1, 0.1))

    def neg_log_likelihood(self, em, tags, mask):
        """em [B, T, K], tags [B, T], mask [B, T] -> the summed negative log-likelihood."""
        B, T, _ = em.shape
        rows = torch.arange(B)
        tags = tags.masked_fill(~mask, 0)
        alpha = self.start_transitions + em[:, 0]
        gold = self.start_transitions[tags[:, 0]] + em[rows, 0, tags[:, 0]]
        last = tags[:, 0]
        for t in range(1, T):
            nxt = torch.logsumexp(alpha[:, :, None] + self.transitions, 1) + em[:, t]
            alpha = torch.where(mask[:, t, None], nxt, alpha)
            step = self.transitions[tags[:, t - 1], tags[:, t]] + em[rows, t, tags[:, t]]
            gold = gold + step * mask[:, t]
            last = torch.where(mask[:, t], tags[:, t], last)
        log_z = torch.logsumexp(alpha + self.end_transitions, 1)
        gold = gold + self.end_transitions[last]
        return (log_z - gold).sum()

    def decode(self, em, mask):
        """Viterbi: em [B, T, K], mask [B, T] -> the best tag path of each row, [B, T] (0 past its length)."""
        B, T, _ = em.shape
        score, history = self.start_transitions + em[:, 0], []
        for t in range(1, T):
            nxt, arg = (score[:, :, None] + self.transitions).max(1)
            score = torch.where(mask[:, t, None], nxt + em[:, t], score)
            history.append(arg)
        best = (score + self.end_transitions).argmax(1)
        lengths = mask.sum(1).tolist()
        paths = torch.zeros(B, T, dtype=torch.long)
        for b in range(B):
            tag = int(best[b])
            paths[b, lengths[b] - 1] = tag
            for t in range(lengths[b] - 1, 0, -1):
                tag = int(history[t - 1][b, tag])
                paths[b, t - 1] = tag
        return paths


class Tagger(nn.Module):
    """models.Tagger in PyTorch: Embedding -> bidirectional RNN/LSTM/GRU -> Linear per token -> softmax or CRF.

    Character features are not part of it (cmd/bench's taggers have none)."""

    def __init__(self, cfg):
        super().__init__()
        if cfg.get("char_vocab_size", 0):
            raise ValueError("gornn_torch.Tagger has no character features")
        self.cfg = cfg
        E, H, K = cfg["embed_dim"], cfg["hidden_size"], cfg["num_tags"]
        self.embedding = nn.Embedding(cfg["vocab_size"], E, padding_idx=0)
        args = dict(num_layers=cfg["num_layers"], batch_first=True, bidirectional=True, dropout=cfg["dropout"])
        if cfg["cell"].startswith("rnn_"):
            self.rnn = nn.RNN(E, H, nonlinearity=cfg["cell"][4:], **args)
        else:
            self.rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[cfg["cell"]](E, H, **args)
        self.fc = nn.Linear(2 * H, K)
        self.crf = CRF(K) if cfg["crf"] else None

    def forward(self, ids, lengths):
        """ids [B, T] padded with 0, lengths [B] -> emission scores [B, T, K]."""
        packed = pack_padded_sequence(self.embedding(ids), lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])
        return self.fc(out)

    def loss(self, ids, lengths, tags):
        """The mean loss per tag: cross-entropy, or the CRF's negative log-likelihood (token_mean)."""
        em = self(ids, lengths)
        mask = tags != -100
        if self.crf is None:
            return nn.functional.cross_entropy(em.reshape(-1, em.shape[2]), tags.reshape(-1), ignore_index=-100)
        return self.crf.neg_log_likelihood(em, tags, mask) / mask.sum()

    def decode(self, ids, lengths):
        em = self(ids, lengths)
        mask = torch.arange(ids.shape[1])[None, :] < lengths[:, None]
        return em.argmax(2) if self.crf is None else self.crf.decode(em, mask)

    def correct(self, ids, lengths, tags):
        mask = tags != -100
        return int((self.decode(ids, lengths) == tags)[mask].sum()), int(mask.sum())


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
    """Loads a gornn model directory: (Classifier or Tagger in eval mode, vocabulary list)."""
    with open(os.path.join(path, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(path, "vocab.txt")) as f:
        vocab = f.read().split("\n")[:-1]
    model = Tagger(cfg) if cfg["format"] == "gornn-tagger/1" else Classifier(cfg)
    model.load_state_dict(read_safetensors(os.path.join(path, "model.safetensors")))
    return model.eval(), vocab
