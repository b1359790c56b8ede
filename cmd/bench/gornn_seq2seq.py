"""gornn's models.Seq2Seq in PyTorch, its plain beam search, and its model
directories.

Seq2Seq(cfg) is the torch.nn module equivalent to models.Seq2Seq for the
settings of a gornn-seq2seq/1 config.json; its state_dict names are the
tensor names of model.safetensors (models.Seq2SeqConfig.Tensors).
beam_search is decode.Beam.Search written again in plain Python over the
same weights: the shrinking beam, ties broken by (slot, token), <eos>
forced at the maximum length, Wu et al.'s length penalty. load_model_dir
loads a whole directory.

Used by cmd/bench/torch_seq2seq.py (the PyTorch side of the benchmark) and
models/testdata/make_seq2seq_fixtures.py (the parity fixtures). Needs
PyTorch 1.13.
"""
import json
import math
import os
import sys

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gornn_torch import read_safetensors  # noqa: E402

PAD, UNK, BOS, EOS = 0, 1, 2, 3


def recurrent(cell, inputs, hidden, layers, bidirectional=False, dropout=0.0):
    kwargs = dict(num_layers=layers, batch_first=True, bidirectional=bidirectional, dropout=dropout if layers > 1 else 0.0)
    if cell.startswith("rnn_"):
        return nn.RNN(inputs, hidden, nonlinearity=cell[4:], **kwargs)
    return {"lstm": nn.LSTM, "gru": nn.GRU}[cell](inputs, hidden, **kwargs)


class Attention(nn.Module):
    """graph.Attention: a score over the memory, a masked softmax, Luong's attentional output."""

    def __init__(self, score, hd, he, size):
        super().__init__()
        self.score = score
        if score == "additive":
            self.query = nn.Linear(hd, size, bias=False)
            self.key = nn.Linear(he, size)
            self.v = nn.Linear(size, 1, bias=False)
        elif score == "general":
            self.query = nn.Linear(hd, he, bias=False)
        self.out = nn.Linear(he + hd, hd)

    def keys(self, memory):
        """memory [B, S, He] -> keys [B, S, A] (additive), else None."""
        return self.key(memory) if self.score == "additive" else None

    def forward(self, s, memory, keys, mask):
        """s [B, Hd], memory [B, S, He], mask [B, S] (True on real steps) -> h̃ [B, Hd], weights [B, S]."""
        if self.score == "additive":
            e = self.v(torch.tanh(self.query(s)[:, None, :] + keys)).squeeze(2)
        else:
            q = s if self.score == "dot" else self.query(s)
            e = torch.bmm(memory, q[:, :, None]).squeeze(2)
        a = torch.softmax(e.masked_fill(~mask, float("-inf")), dim=1)
        context = torch.bmm(a[:, None, :], memory).squeeze(1)
        return torch.tanh(self.out(torch.cat([context, s], 1))), a


class Seq2Seq(nn.Module):
    """models.Seq2Seq in PyTorch (see its doc comment)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        E, He, Hd = cfg["embed_dim"], cfg["encoder_hidden"], cfg["decoder_hidden"]
        D = 2 if cfg["bidirectional"] else 1
        self.src_embedding = nn.Embedding(cfg["src_vocab_size"], E, padding_idx=PAD)
        self.encoder = recurrent(cfg["cell"], E, He, cfg["encoder_layers"], cfg["bidirectional"], cfg["dropout"])
        self.tgt_embedding = nn.Embedding(cfg["tgt_vocab_size"], E, padding_idx=PAD)
        if cfg["bridge"] == "linear":
            self.bridge_h = nn.ModuleList([nn.Linear(D * He, Hd) for _ in range(cfg["decoder_layers"])])
            if cfg["cell"] == "lstm":
                self.bridge_c = nn.ModuleList([nn.Linear(D * He, Hd) for _ in range(cfg["decoder_layers"])])
        feed = Hd if cfg["input_feeding"] else 0
        self.decoder = recurrent(cfg["cell"], E + feed, Hd, cfg["decoder_layers"], False, cfg["dropout"])
        self.attention = Attention(cfg["attention"], Hd, D * He, cfg["attention_size"])
        if cfg["tie_embeddings"]:
            self.output_bias = nn.Parameter(torch.empty(cfg["tgt_vocab_size"]).uniform_(-1 / math.sqrt(Hd), 1 / math.sqrt(Hd)))
        else:
            self.output = nn.Linear(Hd, cfg["tgt_vocab_size"])
        self.dropout = nn.Dropout(cfg["dropout"])

    def state_dict_gornn(self):
        """The state dict under gornn's names (output.bias for a tied output)."""
        sd = dict(self.state_dict())
        if self.cfg["tie_embeddings"]:
            sd["output.bias"] = sd.pop("output_bias")
        return sd

    def load_gornn(self, tensors):
        if self.cfg["tie_embeddings"]:
            tensors = dict(tensors)
            tensors["output_bias"] = tensors.pop("output.bias")
        self.load_state_dict(tensors)

    def named_gornn_parameters(self):
        for name, p in self.named_parameters():
            yield ("output.bias" if name == "output_bias" else name), p

    def logits(self, h):
        if self.cfg["tie_embeddings"]:
            return h @ self.tgt_embedding.weight.t() + self.output_bias
        return self.output(h)

    def encode(self, src, lengths):
        """src [B, S] padded with 0, lengths [B] -> memory [B, S, De], keys, mask [B, S], initial states."""
        S = src.shape[1]
        x = self.src_embedding(src)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, state = self.encoder(packed)
        memory, _ = pad_packed_sequence(out, batch_first=True, total_length=S)
        mask = torch.arange(S)[None, :] < lengths[:, None]
        h_n, c_n = state if isinstance(state, tuple) else (state, None)
        initial = None
        if self.cfg["bridge"] == "linear":
            top = lambda s: torch.cat([s[-2], s[-1]], 1) if self.cfg["bidirectional"] else s[-1]  # noqa: E731
            h0 = torch.stack([torch.tanh(b(top(h_n))) for b in self.bridge_h])
            initial = h0
            if c_n is not None:
                initial = (h0, torch.stack([b(top(c_n)) for b in self.bridge_c]))
        return memory, self.attention.keys(memory), mask, initial

    def zero_state(self, batch):
        z = torch.zeros(self.cfg["decoder_layers"], batch, self.cfg["decoder_hidden"])
        return (z, z.clone()) if self.cfg["cell"] == "lstm" else z

    def step(self, y, feed, state, memory, keys, mask):
        """One decoder step: previous tokens y [B] -> logits [B, Vt], h̃, weights [B, S], state."""
        x = self.tgt_embedding(y)
        if self.cfg["input_feeding"]:
            x = torch.cat([x, feed], 1)
        out, state = self.decoder(x[:, None, :], state)
        h, weights = self.attention(out[:, 0], memory, keys, mask)
        h = self.dropout(h)
        return self.logits(h), h, weights, state

    def forward(self, src, src_lengths, tgt_in):
        """Teacher forcing: tgt_in [B, T] (<bos> first) -> logits [B, T, Vt], weights [B, T, S], memory."""
        memory, keys, mask, state = self.encode(src, src_lengths)
        B = src.shape[0]
        if state is None:
            state = self.zero_state(B)
        feed = torch.zeros(B, self.cfg["decoder_hidden"])
        logits, weights = [], []
        for t in range(tgt_in.shape[1]):
            l, feed, w, state = self.step(tgt_in[:, t], feed, state, memory, keys, mask)
            logits.append(l)
            weights.append(w)
        return torch.stack(logits, 1), torch.stack(weights, 1), memory


def select(state, rows):
    if isinstance(state, tuple):
        return tuple(s[:, rows] for s in state)
    return state[:, rows]


@torch.no_grad()
def beam_search(model, sources, width=1, nbest=1, alpha=0.0, max_len_ratio=3.0):
    """decode.Beam.Search in plain Python: per source, a list of (tokens, log_prob, score), best first."""
    B, K = len(sources), width
    S = max(len(s) for s in sources)
    src = torch.zeros(B, S, dtype=torch.long)
    for i, s in enumerate(sources):
        src[i, :len(s)] = torch.tensor(s)
    lengths = torch.tensor([len(s) for s in sources])
    memory, keys, mask, state = model.encode(src, lengths)
    if state is None:
        state = model.zero_state(B)
    expand = [i for i in range(B) for _ in range(K)]
    memory, mask, state = memory[expand], mask[expand], select(state, expand)
    keys = keys[expand] if keys is not None else None
    feed = torch.zeros(B * K, model.cfg["decoder_hidden"])
    tokens = torch.full((B * K,), BOS, dtype=torch.long)
    max_lens = [max(1, math.ceil(max_len_ratio * len(s))) for s in sources]
    live = [[([], 0.0)] for _ in range(B)]  # per source: (tokens, log_prob) by slot
    finished = [[] for _ in range(B)]
    while any(live):
        logits, feed, _, state = model.step(tokens, feed, state, memory, keys, mask)
        logp = torch.log_softmax(logits.double(), 1)
        rows, feeds = [], []
        for i in range(B):
            base, keep = i * K, K - len(finished[i])
            cands = []
            for slot, (toks, lp) in enumerate(live[i]):
                row = logp[base + slot].tolist()
                choices = [EOS] if len(toks) == max_lens[i] else [t for t in range(len(row)) if t not in (PAD, BOS)]
                cands += [(lp + row[t], slot, t) for t in choices]
            cands.sort(key=lambda c: (-c[0], c[1], c[2]))
            nxt = []
            for lp, slot, t in cands[:keep] if live[i] else []:
                toks = live[i][slot][0]
                if t == EOS:
                    penalty = ((5 + len(toks) + 1) / 6) ** alpha
                    finished[i].append((toks, lp, lp / penalty))
                else:
                    nxt.append((toks + [t], lp, slot))
            live[i] = [(toks, lp) for toks, lp, _ in nxt]
            r = [base] * K
            f = [EOS] * K
            for slot, (toks, _, parent) in enumerate(nxt):
                r[slot], f[slot] = base + parent, toks[-1]
            rows += r
            feeds += f
        state, feed = select(state, rows), feed[rows]
        tokens = torch.tensor(feeds)
    out = []
    for fin in finished:
        order = sorted(range(len(fin)), key=lambda j: (-fin[j][2], j))
        out.append([fin[j] for j in order[:nbest]])
    return out


def load_model_dir(path):
    """Loads a gornn-seq2seq/1 model directory: (Seq2Seq in eval mode, source vocabulary, target vocabulary)."""
    with open(os.path.join(path, "config.json")) as f:
        cfg = json.load(f)
    vocabs = []
    for name in ("src_vocab.txt", "tgt_vocab.txt"):
        with open(os.path.join(path, name)) as f:
            vocabs.append(f.read().split("\n")[:-1])
    model = Seq2Seq(cfg)
    model.load_gornn(read_safetensors(os.path.join(path, "model.safetensors")))
    return model.eval(), vocabs[0], vocabs[1]
