#!/usr/bin/env python3
"""The PyTorch side of cmd/bench -lm: one measured language-model run,
reported as JSON with the keys of the gornn worker (result in worker.go).

    torch_lm.py --info
        As torch_bench.py --info.

    torch_lm.py --mode lm-train|lm-generate|lm-perplexity --dir DIR --threads N [--steps S]
        DIR is a run directory written by cmd/bench -lm: the initial weights
        (model/, a gornn-lm/1 model directory), lm.json (how the model
        trains) and the batches (lm.plan, lm-eval.plan; the layout is in
        cmd/bench/lmplan.go). Loads the weights into word_language_model's
        RNNModel and runs:

        lm-train       per batch: forward, cross-entropy over the next
                       tokens, backward, clip_grad_norm_, the update (Adam,
                       or main.py's p.data.add_(p.grad, alpha=-lr)); a
                       stream carries its hidden state from batch to batch,
                       detached (repackage_hidden); a batch of documents is
                       packed. The first batch is a warm-up, the next S (0:
                       all the others) are timed.
        lm-generate    generate.py's loop at batch 1: forward one token,
                       divide by the temperature (1), exp, multinomial, feed
                       the token back; tokens of lm.json timed after a
                       warm-up, in chunks of 50 (S chunks with --trial-threads).
        lm-perplexity  trains every epoch of lm.plan and evaluates the
                       validation perplexity on lm-eval.plan after each,
                       dividing the learning rate by 4 after an epoch
                       without a better validation loss when lm.json says
                       plateau; times the training.

    torch_lm.py --mode lm-train|lm-generate --dir DIR --trial-threads N [--steps S]
        A trial of one torch thread count, as torch_bench.py's.
"""
import argparse
import json
import math
import os
import sys
import time

START = time.perf_counter()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gornn_torch import read_safetensors  # noqa: E402
from torch_bench import info  # noqa: E402

PLAN_MAGIC = b"GRNNLMPL"
PLAN_VERSION = 1
CHUNK = 50  # generated tokens per timed chunk


class RNNModel(nn.Module):
    """word_language_model's RNNModel (examples/word_language_model/model.py),
    whose forward also takes the lengths of a padded batch of documents."""

    def __init__(self, cfg):
        super().__init__()
        V, E, H, L = cfg["vocab_size"], cfg["embed_dim"], cfg["hidden_size"], cfg["num_layers"]
        self.drop = nn.Dropout(cfg["dropout"])
        self.encoder = nn.Embedding(V, E)
        rnn_dropout = cfg["dropout"] if L > 1 else 0.0
        if cfg["cell"].startswith("rnn_"):
            self.rnn = nn.RNN(E, H, L, nonlinearity=cfg["cell"][4:], dropout=rnn_dropout)
        else:
            self.rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[cfg["cell"]](E, H, L, dropout=rnn_dropout)
        self.decoder = nn.Linear(H, V)
        if cfg["tied"]:
            self.decoder.weight = self.encoder.weight
        self.cell, self.layers, self.hidden = cfg["cell"], L, H

    def forward(self, ids, hidden=None, lengths=None):
        """ids [T, B] -> logits [T, B, V], the final hidden state."""
        emb = self.drop(self.encoder(ids))
        if lengths is not None:
            packed = pack_padded_sequence(emb, lengths, enforce_sorted=False)
            out, hidden = self.rnn(packed, hidden)
            out, _ = pad_packed_sequence(out, total_length=ids.shape[0])
        else:
            out, hidden = self.rnn(emb, hidden)
        return self.decoder(self.drop(out)), hidden

    def init_hidden(self, bsz):
        zeros = torch.zeros(self.layers, bsz, self.hidden)
        return (zeros, zeros.clone()) if self.cell == "lstm" else zeros


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def load_model(path):
    with open(os.path.join(path, "config.json")) as f:
        cfg = json.load(f)
    model = RNNModel(cfg)
    state = read_safetensors(os.path.join(path, "model.safetensors"))
    if cfg["tied"]:
        state["decoder.weight"] = state["encoder.weight"]
    model.load_state_dict(state)
    return model, cfg


def read_plan(path):
    """Per epoch, a list of (ids [B, T], lengths [B], targets [B, T]) int64 tensors."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:8] != PLAN_MAGIC:
        sys.exit(f"{path}: not a language model plan file")
    v = np.frombuffer(raw, dtype="<i4", offset=8)
    if v[0] != PLAN_VERSION:
        sys.exit(f"{path}: version {v[0]}, want {PLAN_VERSION}")
    i, epochs = 2, []
    for _ in range(v[1]):
        batches, n = [], v[i]
        i += 1
        for _ in range(n):
            B, T = int(v[i]), int(v[i + 1])
            i += 2
            ids = torch.from_numpy(v[i:i + B * T].astype(np.int64).reshape(B, T))
            i += B * T
            lengths = torch.from_numpy(v[i:i + B].astype(np.int64))
            i += B
            targets = torch.from_numpy(v[i:i + B * T].astype(np.int64).reshape(B, T))
            i += B * T
            batches.append((ids, lengths, targets))
        epochs.append(batches)
    if i != len(v):
        sys.exit(f"{path}: data after the last batch")
    return epochs


class Trainer:
    """main.py's train() step, for a stream or for padded documents."""

    def __init__(self, model, run):
        self.model, self.run, self.lr = model, run, run["lr"]
        self.opt = torch.optim.Adam(model.parameters(), lr=run["lr"]) if run["optimizer"] == "adam" else None
        self.hidden = None

    def start_epoch(self):
        self.hidden = None  # zeros, as init_hidden

    def loss(self, ids, lengths, targets):
        """Forward over one batch; returns the mean cross-entropy of its next tokens."""
        if self.run["stream"]:
            hidden = None if self.hidden is None else repackage_hidden(self.hidden)
            logits, self.hidden = self.model(ids.t(), hidden)
        else:
            logits, _ = self.model(ids.t(), None, lengths)
        V = logits.shape[-1]
        return F.cross_entropy(logits.reshape(-1, V), targets.t().reshape(-1), ignore_index=-100)

    def step(self, ids, lengths, targets):
        self.model.zero_grad()
        loss = self.loss(ids, lengths, targets)
        loss.backward()
        if self.run["clip"] > 0:
            nn.utils.clip_grad_norm_(self.model.parameters(), self.run["clip"])
        if self.opt is not None:
            self.opt.step()
        else:
            for p in self.model.parameters():
                p.data.add_(p.grad, alpha=-self.lr)
        return loss.item()


def evaluate(model, run, batches):
    """Validation perplexity: the token-weighted mean loss, a stream's state carried."""
    model.eval()
    total, count, hidden = 0.0, 0, None
    with torch.no_grad():
        for ids, lengths, targets in batches:
            if run["stream"]:
                logits, hidden = model(ids.t(), hidden)
            else:
                logits, _ = model(ids.t(), None, lengths)
            V = logits.shape[-1]
            loss = F.cross_entropy(logits.reshape(-1, V), targets.t().reshape(-1), ignore_index=-100, reduction="sum")
            total += loss.item()
            count += int((targets >= 0).sum())
    model.train()
    return math.exp(total / count)


class Generator:
    """generate.py's loop: one token at a time, batch 1, temperature 1."""

    def __init__(self, model, seed=1):
        self.model = model.eval()
        torch.manual_seed(seed)
        self.input = torch.zeros(1, 1, dtype=torch.long)
        self.hidden = model.init_hidden(1)

    def tokens(self, n):
        with torch.no_grad():
            for _ in range(n):
                output, self.hidden = self.model(self.input, self.hidden)
                word_weights = output.squeeze().div(1.0).exp()
                word_idx = torch.multinomial(word_weights, 1)[0]
                self.input.fill_(word_idx)
        return n


def count(m, ids, lengths):
    m["steps"] += 1
    m["rows"] += len(lengths)
    m["tokens"] += int(lengths.sum())
    m["padded_tokens"] += ids.numel()


def measure():
    return dict(steps=0, rows=0, tokens=0, padded_tokens=0, seconds=0.0, loss=0.0, correct=0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--info", action="store_true")
    ap.add_argument("--mode", choices=["lm-train", "lm-generate", "lm-perplexity"])
    ap.add_argument("--dir")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=0)
    ap.add_argument("--trial-threads", type=int)
    a = ap.parse_args()
    if a.info:
        print(json.dumps(info()))
        return
    if not a.mode or not a.dir:
        ap.error("--mode and --dir are required")
    torch.set_num_threads(a.threads)
    model, cfg = load_model(os.path.join(a.dir, "model"))
    with open(os.path.join(a.dir, "lm.json")) as f:
        run = json.load(f)
    threads = a.trial_threads

    if a.mode == "lm-generate":
        gen = Generator(model)
        if threads:
            print(json.dumps(trial(lambda _: gen.tokens(CHUNK), [None] * (1 + max(a.steps, 1)), threads, CHUNK)))
            return
        gen.tokens(10)  # warm-up
        setup = time.perf_counter() - START
        m = measure()
        start = time.perf_counter()
        m["tokens"] = gen.tokens(run["generate_tokens"])
        m["seconds"] = time.perf_counter() - start
        m.update(steps=m["tokens"], rows=1, padded_tokens=m["tokens"], setup_seconds=setup)
        print(json.dumps(m))
        return

    plan = read_plan(os.path.join(a.dir, "lm.plan"))
    trainer = Trainer(model.train(), run)
    m = measure()
    if a.mode == "lm-perplexity":
        (evals,) = read_plan(os.path.join(a.dir, "lm-eval.plan"))
        ppl, best = [], math.inf
        for epoch in plan:
            trainer.start_epoch()
            start = time.perf_counter()
            for batch in epoch:
                trainer.step(*batch)
                count(m, *batch[:2])
            m["seconds"] += time.perf_counter() - start
            ppl.append(evaluate(model, run, evals))
            if math.log(ppl[-1]) < best:
                best = math.log(ppl[-1])
            elif run["plateau"]:
                trainer.lr /= 4.0
        print(json.dumps(dict(m, eval_ppl=ppl, setup_seconds=0.0)))
        return

    batches = plan[0]
    if len(batches) < 2:
        sys.exit(f"{a.dir}/lm.plan: {len(batches)} batches, need a warm-up batch and one to measure")
    if 0 < a.steps < len(batches) - 1:
        batches = batches[:1 + a.steps]
    trainer.start_epoch()
    if threads:
        print(json.dumps(trial(lambda b: trainer.step(*b), batches, threads, None)))
        return
    trainer.step(*batches[0])  # warm-up
    setup = time.perf_counter() - START
    start = time.perf_counter()
    for batch in batches[1:]:
        m["loss"] += trainer.step(*batch)
        count(m, *batch[:2])
    m["seconds"] = time.perf_counter() - start
    m["loss"] /= max(m["steps"], 1)
    print(json.dumps(dict(m, setup_seconds=setup)))


def trial(step, batches, threads, chunk):
    """Times each batch after the first on threads torch threads, as
    torch_bench.py's trial; a generation trial's batches are chunks of chunk tokens."""
    torch.set_num_threads(threads)  # once, as torch_bench.py's trial
    step(batches[0])  # warm-up
    seconds = []
    for batch in batches[1:]:
        begin = time.perf_counter()
        step(batch)
        seconds.append(time.perf_counter() - begin)
    tokens = [chunk if chunk else int(b[1].sum()) for b in batches[1:]]
    return {"blas": info()["blas"], "batch_tokens": tokens,
            "trials": [{"torch_threads": threads, "batch_seconds": seconds}]}

if __name__ == "__main__":
    main()
