#!/usr/bin/env python3
"""The PyTorch side of cmd/bench: one measured run, reported as JSON.

    torch_bench.py --info
        Prints the versions of PyTorch and Python and the BLAS in use.

    torch_bench.py --mode train|infer|latency|accuracy --dir DIR --threads N [--steps S]
        DIR is a run directory written by cmd/bench: the initial weights
        (model/, a gornn model directory) and the batches (train.plan,
        latency.plan for latency, and eval.plan for accuracy; the layout is in
        cmd/bench/plan.go). Loads the weights into gornn_torch.Classifier and
        runs the planned batches:

        train     forward, cross-entropy (a tagger's: per token, or its CRF's
                  negative log-likelihood), backward and an Adam step (lr
                  1e-3) per batch; the first batch is a warm-up, the next S
                  (0: all the others) are timed.
        infer     forward only, in torch.inference_mode(), over the same
                  batches, timed the same way; a tagger decodes (Viterbi
                  with a CRF) and counts the tokens tagged right.
        latency   one request per batch of latency.plan (one text each):
                  forward and softmax in torch.inference_mode(); the first is
                  a warm-up; reports each request's seconds.
        accuracy  trains over every epoch of train.plan and evaluates on
                  eval.plan after each; times the training.

        Prints the same JSON keys as the gornn worker (result in worker.go).

    torch_bench.py --mode train|infer|latency --dir DIR --trial-threads N [--steps S]
        A trial of one torch thread count (cmd/bench's setting search, one
        process per setting): one warm-up batch, then each of the next S
        batches. Prints the BLAS loaded, each batch's real tokens and each
        batch's seconds (trialOutput in torchsetting.go). The count is set
        once: torch.set_num_threads restarts the OpenMP team at every call,
        even with the count it has, which cut 2-thread GRU inference to a
        third when it was called before each batch.

cmd/bench embeds this file and gornn_torch.py, and sets OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS and LD_LIBRARY_PATH (which OpenBLAS build loads).
"""
import argparse
import json
import os
import platform
import re
import sys
import time

START = time.perf_counter()

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gornn_torch import load_model_dir  # noqa: E402

PLAN_MAGIC = b"GRNNPLAN"
PLAN_VERSION, TAG_PLAN_VERSION = 1, 2
LEARNING_RATE = 1e-3


def read_plan(path):
    """Reads a plan file: per epoch, a list of (ids [B, T], lengths [B], labels [B]) int64 tensors;
    for a tagger's (version 2), tags [B, T] instead of labels."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:8] != PLAN_MAGIC:
        sys.exit(f"{path}: not a plan file")
    v = np.frombuffer(raw, dtype="<i4", offset=8)
    if v[0] not in (PLAN_VERSION, TAG_PLAN_VERSION):
        sys.exit(f"{path}: version {v[0]}, want {PLAN_VERSION} or {TAG_PLAN_VERSION}")
    tagged = v[0] == TAG_PLAN_VERSION
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
            if tagged:
                labels = torch.from_numpy(v[i:i + B * T].astype(np.int64).reshape(B, T))
                i += B * T
            else:
                labels = torch.from_numpy(v[i:i + B].astype(np.int64))
                i += B
            batches.append((ids, lengths, labels))
        epochs.append(batches)
    if i != len(v):
        sys.exit(f"{path}: data after the last batch")
    return epochs


def info():
    """The versions and the BLAS library actually loaded."""
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))  # make sure BLAS is loaded
    built = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    with open("/proc/self/maps") as f:
        loaded = sorted({os.path.realpath(line.split()[-1]) for line in f if "blas" in line.lower() and "/" in line})
    blas = f"BLAS_INFO={built.group(1) if built else 'unknown'}"
    if loaded:
        blas += ", loaded " + ", ".join(loaded)
    return {"torch": torch.__version__, "python": platform.python_version(), "blas": blas}


class Measure:
    """Sums the work and time of the measured batches, as worker.go's result."""

    def __init__(self):
        self.steps = self.rows = self.tokens = self.padded = self.correct = 0
        self.seconds = self.loss = 0.0

    def count(self, ids, lengths):
        self.steps += 1
        self.rows += len(lengths)
        self.tokens += int(lengths.sum())
        self.padded += ids.numel()

    def json(self, **extra):
        return dict(steps=self.steps, rows=self.rows, tokens=self.tokens, padded_tokens=self.padded,
                    seconds=self.seconds, loss=self.loss / max(self.steps, 1), correct=self.correct, **extra)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--info", action="store_true")
    ap.add_argument("--mode", choices=["train", "infer", "latency", "accuracy"])
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
    model, _ = load_model_dir(os.path.join(a.dir, "model"))
    plan = read_plan(os.path.join(a.dir, "latency.plan" if a.mode == "latency" else "train.plan"))
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)

    def train_step(ids, lengths, labels):
        opt.zero_grad()
        loss = model.loss(ids, lengths, labels)
        loss.backward()
        opt.step()
        return loss.item()

    def predict(ids, lengths, labels):
        """The rows (a tagger: the tokens, decoded by Viterbi with a CRF) predicted right."""
        with torch.inference_mode():
            return model.correct(ids, lengths, labels)[0]

    def request(ids, lengths, labels):
        with torch.inference_mode():
            probs = F.softmax(model(ids, lengths), 1)
            return int(probs[0].argmax() == labels[0])

    m = Measure()
    if a.mode == "accuracy":
        (evals,) = read_plan(os.path.join(a.dir, "eval.plan"))
        accuracy = []
        for epoch in plan:
            model.train()
            start = time.perf_counter()
            for batch in epoch:
                train_step(*batch)
                m.count(*batch[:2])
            m.seconds += time.perf_counter() - start
            model.eval()
            with torch.inference_mode():
                counts = [model.correct(*batch) for batch in evals]
            accuracy.append(sum(r for r, _ in counts) / sum(n for _, n in counts))
        print(json.dumps(m.json(eval_acc=accuracy, setup_seconds=0.0)))
        return

    batches = plan[0]
    if len(batches) < 2:
        sys.exit(f"{a.dir}/train.plan: {len(batches)} batches, need a warm-up batch and one to measure")
    if 0 < a.steps < len(batches) - 1:
        batches = batches[:1 + a.steps]
    if a.mode == "train":
        model.train()
        step = train_step
    else:
        model.eval()
        step = predict if a.mode == "infer" else request
    if a.trial_threads:
        print(json.dumps(trial(step, batches, a.trial_threads)))
        return
    step(*batches[0])  # warm-up
    setup = time.perf_counter() - START
    batch_seconds = []
    start = time.perf_counter()
    for batch in batches[1:]:
        begin = time.perf_counter()
        out = step(*batch)
        batch_seconds.append(time.perf_counter() - begin)
        if a.mode == "train":
            m.loss += out
        else:
            m.correct += out
        m.count(*batch[:2])
    m.seconds = time.perf_counter() - start
    extra = dict(batch_seconds=batch_seconds) if a.mode == "latency" else {}
    print(json.dumps(m.json(setup_seconds=setup, **extra)))


def trial(step, batches, threads):
    """Times each batch after the first on threads torch threads (see the module doc)."""
    torch.set_num_threads(threads)  # once: setting it again, even to the same count, restarts the OpenMP team
    step(*batches[0])  # warm-up
    seconds = []
    for batch in batches[1:]:
        begin = time.perf_counter()
        step(*batch)
        seconds.append(time.perf_counter() - begin)
    return {"blas": info()["blas"], "batch_tokens": [int(lengths.sum()) for _, lengths, _ in batches[1:]],
            "trials": [{"torch_threads": threads, "batch_seconds": seconds}]}

if __name__ == "__main__":
    main()
