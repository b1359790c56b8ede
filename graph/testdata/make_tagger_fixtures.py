#!/usr/bin/env python3
"""Generates graph/testdata/pytorch_tagger.json, the tagger parity fixtures.

Run by hand with Debian's python3-torch 1.13 (CI never runs it):

    /usr/bin/python3 graph/testdata/make_tagger_fixtures.py

Each case is a BiLSTM (or BiGRU) tagger over a ragged batch:

    Embedding(V, E, padding_idx=0)
      (beside character features: Embedding(Vc, Ec, padding_idx=0) and a
       bidirectional LSTM/GRU over each word's characters, packed; the
       features are the final states of both directions, concatenated)
    -> bidirectional LSTM/GRU, packed -> Linear(2H, K) at every token
    -> the mean cross-entropy over the real tokens, or a linear-chain CRF

with PyTorch's default random weights (the CRF's pytorch-crf's, times 20,
so that the transitions weigh on the paths). PyTorch has no CRF: the one here is
a plain implementation (crf_log_partition, crf_gold_score, viterbi) of
the forward algorithm in log space and of Viterbi, checked against the
enumeration of every tag path for rows of up to 5 tokens before anything
is written. Its loss is pytorch-crf's reduction="token_mean": the negative
log-likelihoods summed over the rows, divided by the number of tokens.

Saved per case: the inputs, every parameter, the emission scores
(batch-first [B, T, K]), the loss, its gradient with respect to every
parameter, and for the CRF each row's log-partition and gold score and its
Viterbi path and score, free and under the IOB2 constraints of the tags
O, B-PER, I-PER, B-LOC, I-LOC. The computation runs in float64, so the
values are references for float32 and float64 alike.
"""
import itertools
import json
import os

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

VOCAB, EMBED, HIDDEN, TAGS = 13, 5, 4, 5
CHARS, CHAR_EMBED, CHAR_HIDDEN, MAX_CHARS = 9, 3, 2, 4
LENGTHS = [5, 2, 4, 1]  # a full row, a length-1 row, ragged others
STEPS = max(LENGTHS)
TAG_NAMES = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def recurrent(cell, inp, hidden):
    return {"lstm": nn.LSTM, "gru": nn.GRU}[cell](inp, hidden, batch_first=True, bidirectional=True)


class CharFeatures(nn.Module):
    """graph.CharFeatures: each word's characters through a BiLSTM/BiGRU."""

    def __init__(self, cell):
        super().__init__()
        self.embedding = nn.Embedding(CHARS, CHAR_EMBED, padding_idx=0)
        self.rnn = recurrent(cell, CHAR_EMBED, CHAR_HIDDEN)

    def forward(self, chars, char_lengths, lengths):
        """chars [B, T, C], char_lengths [B, T], lengths [B] -> [B, T, 2Hc], zero past each row."""
        B, T, _ = chars.shape
        real = torch.arange(T)[None, :] < lengths[:, None]
        words, counts = chars[real], char_lengths[real]
        packed = pack_padded_sequence(self.embedding(words), counts, batch_first=True, enforce_sorted=False)
        _, state = self.rnn(packed)
        h_n = state[0] if isinstance(state, tuple) else state
        features = torch.cat([h_n[0], h_n[1]], 1)
        out = torch.zeros(B, T, 2 * CHAR_HIDDEN, dtype=features.dtype)
        out[real] = features
        return out


class Tagger(nn.Module):
    """models.Tagger's layers, with graph's parameter names."""

    def __init__(self, cell, chars):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, EMBED, padding_idx=0)
        width = EMBED
        if chars:
            self.char = CharFeatures(cell)
            width += 2 * CHAR_HIDDEN
        self.rnn = recurrent(cell, width, HIDDEN)
        self.fc = nn.Linear(2 * HIDDEN, TAGS)

    def forward(self, tokens, lengths, chars=None, char_lengths=None):
        x = self.embedding(tokens)
        if chars is not None:
            x = torch.cat([x, self.char(chars, char_lengths, lengths)], 2)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=tokens.shape[1])
        return self.fc(out)  # [B, T, K]


class CRF(nn.Module):
    """A linear-chain CRF with pytorch-crf's parameter names."""

    def __init__(self):
        super().__init__()
        self.start_transitions = nn.Parameter(torch.empty(TAGS).uniform_(-0.1, 0.1))
        self.end_transitions = nn.Parameter(torch.empty(TAGS).uniform_(-0.1, 0.1))
        self.transitions = nn.Parameter(torch.empty(TAGS, TAGS).uniform_(-0.1, 0.1))


def crf_log_partition(crf, em):
    """The forward algorithm in log space over one row's emissions [n, K]."""
    alpha = crf.start_transitions + em[0]
    for t in range(1, em.shape[0]):
        alpha = torch.logsumexp(alpha[:, None] + crf.transitions, 0) + em[t]
    return torch.logsumexp(alpha + crf.end_transitions, 0)


def crf_gold_score(crf, em, tags):
    s = crf.start_transitions[tags[0]] + crf.end_transitions[tags[-1]] + em[0, tags[0]]
    for t in range(1, len(tags)):
        s = s + crf.transitions[tags[t - 1], tags[t]] + em[t, tags[t]]
    return s


def viterbi(crf, em, allowed=None):
    """The best path of one row and its score; allowed = (start [K], moves [K, K], end [K]) booleans."""
    neg = torch.tensor(float("-inf"), dtype=em.dtype)
    start, trans, end = crf.start_transitions, crf.transitions, crf.end_transitions
    if allowed is not None:
        start = torch.where(allowed[0], start, neg)
        trans = torch.where(allowed[1], trans, neg)
        end = torch.where(allowed[2], end, neg)
    delta, back = start + em[0], []
    for t in range(1, em.shape[0]):
        scores = delta[:, None] + trans
        delta, arg = scores.max(0)
        delta = delta + em[t]
        back.append(arg)
    score, last = (delta + end).max(0)
    path = [int(last)]
    for arg in reversed(back):
        path.append(int(arg[path[-1]]))
    return path[::-1], float(score)


def brute_force(crf, em, allowed=None):
    """Every path of one row: (log-partition, best allowed path, its score)."""
    n = em.shape[0]
    scores, best, best_score = [], None, float("-inf")
    for path in itertools.product(range(TAGS), repeat=n):
        s = crf_gold_score(crf, em, list(path))
        scores.append(s)
        ok = allowed is None or (bool(allowed[0][path[0]]) and bool(allowed[2][path[-1]]) and
                                 all(bool(allowed[1][path[t - 1], path[t]]) for t in range(1, n)))
        if ok and float(s) > best_score:
            best, best_score = list(path), float(s)
    return torch.logsumexp(torch.stack(scores), 0), best, best_score


def iob2_constraints():
    def split(tag):
        return tag.split("-", 1) if "-" in tag else (tag, "")

    def ok(prev, tag):
        (pp, pt), (p, t) = split(prev), split(tag)
        return p != "I" or (pp in ("B", "I") and pt == t)

    start = torch.tensor([ok("O", t) for t in TAG_NAMES])
    moves = torch.tensor([[ok(a, b) for b in TAG_NAMES] for a in TAG_NAMES])
    end = torch.ones(TAGS, dtype=torch.bool)
    return start, moves, end


def tensor_json(t):
    t = t.detach().contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def make_case(name, seed, cell, chars, crf):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    batch = len(LENGTHS)
    lengths = torch.tensor(LENGTHS)
    tokens = torch.zeros(batch, STEPS, dtype=torch.long)
    tags = torch.full((batch, STEPS), -100, dtype=torch.long)
    char_ids = torch.zeros(batch, STEPS, MAX_CHARS, dtype=torch.long)
    char_lengths = torch.zeros(batch, STEPS, dtype=torch.long)
    for b, n in enumerate(LENGTHS):
        tokens[b, :n] = torch.randint(1, VOCAB, (n,), generator=gen)
        tags[b, :n] = torch.randint(0, TAGS, (n,), generator=gen)
        for t in range(n):
            k = int(torch.randint(1, MAX_CHARS + 1, (1,), generator=gen))
            char_lengths[b, t] = k
            char_ids[b, t, :k] = torch.randint(1, CHARS, (k,), generator=gen)

    model = Tagger(cell, chars)
    layer = CRF() if crf else None
    model.double()
    named = list(model.named_parameters())
    if layer is not None:
        layer.double()
        with torch.no_grad():  # transitions that weigh on the paths as much as the emissions do
            for p in layer.parameters():
                p.mul_(20)
        named += [("crf." + n, p) for n, p in layer.named_parameters()]
    emissions = model(tokens, lengths, char_ids if chars else None, char_lengths if chars else None)
    real = tags != -100
    case = {
        "name": name, "cell": cell, "chars": chars, "crf": crf,
        "tokens": tokens.reshape(-1).tolist(), "lengths": LENGTHS, "tags": tags.reshape(-1).tolist(),
        "params": {n: tensor_json(p) for n, p in named},
    }
    if chars:
        case["char_ids"] = char_ids.reshape(-1).tolist()
        case["char_lengths"] = char_lengths.reshape(-1).tolist()
    if layer is None:
        loss = nn.functional.cross_entropy(emissions.reshape(-1, TAGS), tags.reshape(-1), ignore_index=-100)
    else:
        allowed = iob2_constraints()
        logz, gold, paths, scores, cpaths, cscores = [], [], [], [], [], []
        for b, n in enumerate(LENGTHS):
            em, row = emissions[b, :n], tags[b, :n].tolist()
            z, g = crf_log_partition(layer, em), crf_gold_score(layer, em, row)
            path, score = viterbi(layer, em.detach())
            cpath, cscore = viterbi(layer, em.detach(), allowed)
            bz, bpath, bscore = brute_force(layer, em.detach())
            _, bcpath, bcscore = brute_force(layer, em.detach(), allowed)
            assert abs(float(z) - float(bz)) < 1e-9, (float(z), float(bz))
            assert path == bpath and abs(score - bscore) < 1e-9, (path, bpath)
            assert cpath == bcpath and abs(cscore - bcscore) < 1e-9, (cpath, bcpath)
            logz.append(z)
            gold.append(g)
            paths.append(path)
            scores.append(score)
            cpaths.append(cpath)
            cscores.append(cscore)
        loss = (torch.stack(logz) - torch.stack(gold)).sum() / int(real.sum())
        case["crf_outputs"] = {
            "log_partition": [float(z) for z in logz], "gold_score": [float(g) for g in gold],
            "viterbi_paths": paths, "viterbi_scores": scores,
            "constrained_paths": cpaths, "constrained_scores": cscores,
            "constraint_tags": TAG_NAMES,
        }
    loss.backward()
    case["outputs"] = {"emissions": tensor_json(emissions), "loss": tensor_json(loss.reshape(1))}
    case["grads"] = {n: tensor_json(p.grad) for n, p in named}
    return case


def main():
    cases = [
        make_case("bilstm", 1, "lstm", False, False),
        make_case("bigru_chars", 2, "gru", True, False),
        make_case("bilstm_crf", 3, "lstm", False, True),
        make_case("bilstm_chars_crf", 4, "lstm", True, True),
    ]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytorch_tagger.json")
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
