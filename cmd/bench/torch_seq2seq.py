#!/usr/bin/env python3
"""The PyTorch side of cmd/bench -task seq2seq: one measured run, reported as JSON.

    torch_seq2seq.py --info
        Prints the versions of PyTorch and Python and the BLAS in use.

    torch_seq2seq.py --mode train|greedy|beam|accuracy --dir DIR --threads N [--steps S] [--beam K]
        DIR is a run directory written by cmd/bench: the initial weights
        (model/, a gornn-seq2seq/1 directory, loaded into
        gornn_seq2seq.Seq2Seq), the training batches (train.plan) and the
        distinct words of the test and dev splits (test.src, dev.src; the
        layouts are in cmd/bench/seq2seq_plan.go).

        train     teacher forcing, cross-entropy, backward and an Adam step
                  (lr 1e-3) per batch; the first batch is a warm-up, the
                  next S (0: all the others) are timed.
        greedy    decodes test.src 64 words at a time, greedily, in
                  torch.inference_mode(); a warm-up chunk first.
        beam      the same with a batched beam of width K, the shrinking
                  beam of decode.Beam (see gornn_seq2seq.beam_search, its
                  plain version), with the candidates chosen by torch.topk.
        accuracy  trains over every epoch of train.plan and decodes
                  dev.src greedily after each; times the training.

        Prints the keys of s2sResult in seq2seq_worker.go; the outputs are
        token ids without <eos>, which cmd/bench scores.
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
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gornn_seq2seq import BOS, EOS, PAD, load_model_dir, select  # noqa: E402
from torch_bench import info  # noqa: E402

LEARNING_RATE = 1e-3
CHUNK = 64
MAX_LEN_RATIO = 3.0


def ints(path, magic):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:8] != magic:
        sys.exit(f"{path}: not a {magic.decode()} file")
    return np.frombuffer(raw, dtype="<i4", offset=8)


def read_plan(path):
    """Per epoch, a list of (src [B, S], src_lengths [B], tgt_in [B, T], tgt_lengths [B], targets [B, T])."""
    v = ints(path, b"GRNNS2SP")
    i, epochs = 1, []
    t = lambda a: torch.from_numpy(a.astype(np.int64))  # noqa: E731
    for _ in range(v[0]):
        batches, n = [], v[i]
        i += 1
        for _ in range(n):
            B, S, T = (int(x) for x in v[i:i + 3])
            i += 3
            src = t(v[i:i + B * S].reshape(B, S)); i += B * S
            src_len = t(v[i:i + B]); i += B
            tgt = t(v[i:i + B * T].reshape(B, T)); i += B * T
            tgt_len = t(v[i:i + B]); i += B
            targets = t(v[i:i + B * T].reshape(B, T)); i += B * T
            batches.append((src, src_len, tgt, tgt_len, targets))
        epochs.append(batches)
    return epochs


def read_sources(path):
    v = ints(path, b"GRNNS2SD")
    i, out = 1, []
    for _ in range(v[0]):
        n = int(v[i])
        out.append([int(x) for x in v[i + 1:i + 1 + n]])
        i += 1 + n
    return out


def pad(sources):
    S = max(len(s) for s in sources)
    src = torch.zeros(len(sources), S, dtype=torch.long)
    for i, s in enumerate(sources):
        src[i, :len(s)] = torch.tensor(s)
    return src, torch.tensor([len(s) for s in sources])


def start(model, sources, width):
    src, lengths = pad(sources)
    memory, keys, mask, state = model.encode(src, lengths)
    B = len(sources)
    if state is None:
        state = model.zero_state(B)
    rows = [i for i in range(B) for _ in range(width)]
    keys = keys[rows] if keys is not None else None
    return memory[rows], keys, mask[rows], select(state, rows), torch.zeros(B * width, model.cfg["decoder_hidden"])


@torch.inference_mode()
def greedy(model, sources):
    memory, keys, mask, state, feed = start(model, sources, 1)
    B = len(sources)
    max_lens = torch.tensor([max(1, math.ceil(MAX_LEN_RATIO * len(s))) for s in sources])
    tokens = torch.full((B,), BOS, dtype=torch.long)
    done = torch.zeros(B, dtype=torch.bool)
    outputs = [[] for _ in range(B)]
    step = 0
    while not bool(done.all()):
        logits, feed, _, state = model.step(tokens, feed, state, memory, keys, mask)
        logits[:, PAD] = logits[:, BOS] = float("-inf")
        tokens = logits.argmax(1)
        tokens = torch.where(max_lens <= step, torch.full_like(tokens, EOS), tokens)
        for i in (~done).nonzero().flatten().tolist():
            if int(tokens[i]) == EOS:
                done[i] = True
            else:
                outputs[i].append(int(tokens[i]))
        step += 1
    return outputs


@torch.inference_mode()
def beam(model, sources, K):
    memory, keys, mask, state, feed = start(model, sources, K)
    B, V = len(sources), model.cfg["tgt_vocab_size"]
    max_lens = [max(1, math.ceil(MAX_LEN_RATIO * len(s))) for s in sources]
    live = [[([], 0.0)] for _ in range(B)]
    finished = [[] for _ in range(B)]
    tokens = torch.full((B * K,), BOS, dtype=torch.long)
    while any(live):
        logits, feed, _, state = model.step(tokens, feed, state, memory, keys, mask)
        logp = torch.log_softmax(logits, 1)
        logp[:, PAD] = logp[:, BOS] = float("-inf")
        cum = torch.full((B * K, 1), float("-inf"))
        for i in range(B):
            for slot, (toks, lp) in enumerate(live[i]):
                cum[i * K + slot] = lp
                if len(toks) == max_lens[i]:
                    eos = logp[i * K + slot, EOS].clone()
                    logp[i * K + slot] = float("-inf")
                    logp[i * K + slot, EOS] = eos
        values, indices = (cum + logp).view(B, K * V).topk(K, 1)
        values, indices = values.tolist(), indices.tolist()
        rows, feeds = [], []
        for i in range(B):
            base, keep, nxt = i * K, K - len(finished[i]), []
            for lp, index in list(zip(values[i], indices[i]))[:keep] if live[i] else []:
                slot, t = divmod(index, V)
                toks = live[i][slot][0]
                if t == EOS:
                    finished[i].append((toks, lp))
                else:
                    nxt.append((toks + [t], lp, slot))
            live[i] = [(toks, lp) for toks, lp, _ in nxt]
            r, f = [base] * K, [EOS] * K
            for slot, (toks, _, parent) in enumerate(nxt):
                r[slot], f[slot] = base + parent, toks[-1]
            rows += r
            feeds += f
        state, feed = select(state, rows), feed[rows]
        tokens = torch.tensor(feeds)
    return [max(fin, key=lambda h: h[1])[0] for fin in finished]


def decode_all(model, sources, decoder):
    out = []
    for i in range(0, len(sources), CHUNK):
        out += decoder(model, sources[i:i + CHUNK])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--info", action="store_true")
    ap.add_argument("--mode", choices=["train", "greedy", "beam", "accuracy"])
    ap.add_argument("--dir")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=0)
    ap.add_argument("--beam", type=int, default=5)
    a = ap.parse_args()
    if a.info:
        print(json.dumps(info()))
        return
    if not a.mode or not a.dir:
        ap.error("--mode and --dir are required")
    torch.set_num_threads(a.threads)
    model, _, _ = load_model_dir(os.path.join(a.dir, "model"))
    result = dict(steps=0, rows=0, tokens=0, seconds=0.0, setup_seconds=0.0, loss=0.0)
    if a.mode in ("greedy", "beam"):
        sources = read_sources(os.path.join(a.dir, "test.src"))
        decoder = greedy if a.mode == "greedy" else (lambda m, s: beam(m, s, a.beam))
        decode_all(model, sources[:CHUNK], decoder)  # warm-up
        result["setup_seconds"] = time.perf_counter() - START
        begin = time.perf_counter()
        result["outputs"] = decode_all(model, sources, decoder)
        result["seconds"] = time.perf_counter() - begin
        result["rows"], result["tokens"] = len(sources), sum(len(s) for s in sources)
        print(json.dumps(result))
        return
    plan = read_plan(os.path.join(a.dir, "train.plan"))
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)

    def train_step(src, src_len, tgt, tgt_len, targets):
        model.train()
        opt.zero_grad()
        logits, _, _ = model(src, src_len, tgt)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        loss.backward()
        opt.step()
        result["steps"] += 1
        result["rows"] += len(src_len)
        result["tokens"] += int(src_len.sum() + tgt_len.sum())
        return loss.item()

    if a.mode == "accuracy":
        dev = read_sources(os.path.join(a.dir, "dev.src"))
        result["dev_outputs"] = []
        for epoch in plan:
            begin = time.perf_counter()
            for batch in epoch:
                train_step(*batch)
            result["seconds"] += time.perf_counter() - begin
            model.eval()
            result["dev_outputs"].append(decode_all(model, dev, greedy))
        print(json.dumps(result))
        return
    batches = plan[0]
    if 0 < a.steps < len(batches) - 1:
        batches = batches[:1 + a.steps]
    train_step(*batches[0])  # warm-up
    result.update(steps=0, rows=0, tokens=0)
    result["setup_seconds"] = time.perf_counter() - START
    begin = time.perf_counter()
    for batch in batches[1:]:
        result["loss"] += train_step(*batch)
    result["seconds"] = time.perf_counter() - begin
    result["loss"] /= max(result["steps"], 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
