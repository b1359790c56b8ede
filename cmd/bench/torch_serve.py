#!/usr/bin/env python3
"""The PyTorch side of cmd/bench -serve: a gornn model directory served by
FastAPI + uvicorn, with the same REST API as cmd/serve.

    torch_serve.py --check
        Prints the versions of PyTorch, FastAPI and uvicorn, and the event
        loop and HTTP parser uvicorn picks (uvloop and httptools when
        installed), as JSON; fails when one of them cannot be imported.

    torch_serve.py --dir MODEL_DIR --port PORT [--name default] [--workers W] [--threads T]
        Serves MODEL_DIR (config.json, vocab.txt, model.safetensors) in
        gornn_torch.Classifier on 127.0.0.1:PORT with W uvicorn worker
        processes, each running torch on T threads:

        POST /v1/models/NAME:predict  {"instances": ["text", ...]} ->
            {"predictions": [{"text", "label", "probabilities"}, ...]}, the
            JSON of cmd/serve and cmd/predict -json, with a Server-Timing
            header: the milliseconds spent in the handler (parsing the
            body, tokenizing, the forward pass and softmax, the answer).
        GET /healthz                  200 once the model is loaded.

        Texts are tokenized with torchtext's basic_english rules (the rule
        list of datasets/testdata/make_basic_english.py) or per character,
        as config.json's "tokenizer" says; unknown tokens become <unk> (1),
        a text without tokens one <unk>, and max_len truncates. The forward
        pass runs in torch.inference_mode(); the softmax is taken in float64
        of the float32 logits, as gornn does.

cmd/bench embeds this file beside gornn_torch.py and sets OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS and LD_LIBRARY_PATH (which OpenBLAS build loads).
"""
import argparse
import json
import os
import re
import sys
import time

import torch
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gornn_torch import load_model_dir  # noqa: E402

_patterns = [r"\'", r"\"", r"\.", r"<br \/>", r",", r"\(", r"\)", r"\!", r"\?", r"\;", r"\:", r"\s+"]
_replacements = [" '  ", "", " . ", " ", " , ", " ( ", " ) ", " ! ", " ? ", " ", " ", " "]
_patterns_dict = list((re.compile(p), r) for p, r in zip(_patterns, _replacements))


def basic_english(line):
    """torchtext's get_tokenizer("basic_english")."""
    line = line.lower()
    for pattern_re, replaced_str in _patterns_dict:
        line = pattern_re.sub(replaced_str, line)
    return line.split()


def chars(line):
    return [" " if c.isspace() else c for c in line]


def make_app(model_dir, name, threads):
    """The FastAPI app serving model_dir as name."""
    torch.set_num_threads(threads)
    model, vocab = load_model_dir(model_dir)
    cfg = model.cfg
    ids = {token: i for i, token in enumerate(vocab) if i != 0}
    tokenize = chars if cfg.get("tokenizer") == "char" else basic_english
    max_len, labels = cfg.get("max_len", 0), cfg["labels"]
    app = FastAPI()

    def encode(text):
        seq = [ids.get(token, 1) for token in tokenize(text)] or [1]
        return seq[:max_len] if max_len > 0 else seq

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.post(f"/v1/models/{name}:predict")
    async def predict(request: Request):
        start = time.perf_counter()
        texts = (await request.json())["instances"]
        seqs = [encode(t) for t in texts]
        T = max(len(s) for s in seqs)
        batch = torch.zeros(len(seqs), T, dtype=torch.long)
        for i, s in enumerate(seqs):
            batch[i, :len(s)] = torch.tensor(s)
        lengths = torch.tensor([len(s) for s in seqs])
        with torch.inference_mode():
            probs = torch.softmax(model(batch, lengths).double(), dim=-1).tolist()
        predictions = []
        for text, p in zip(texts, probs):
            best = max(range(len(p)), key=p.__getitem__)
            predictions.append({"text": text, "label": labels[best], "probabilities": dict(zip(labels, p))})
        ms = 1000 * (time.perf_counter() - start)
        return JSONResponse({"predictions": predictions}, headers={"Server-Timing": f"app;dur={ms:.3f}"})

    return app


def check():
    import fastapi
    import uvicorn

    print(json.dumps({"torch": torch.__version__, "fastapi": fastapi.__version__, "uvicorn": uvicorn.__version__,
                      "python": sys.version.split()[0],
                      "loop": "uvloop" if _importable("uvloop") else "asyncio",
                      "http": "httptools" if _importable("httptools") else "h11"}))


def _importable(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


# uvicorn's worker processes import this module and build the app from the
# environment the main process sets.
if "GORNN_SERVE_DIR" in os.environ:
    app = make_app(os.environ["GORNN_SERVE_DIR"], os.environ["GORNN_SERVE_NAME"], int(os.environ["GORNN_SERVE_THREADS"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--dir")
    ap.add_argument("--port", type=int)
    ap.add_argument("--name", default="default")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    if a.check:
        check()
        return
    if not a.dir or not a.port:
        ap.error("--dir and --port are required")
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    os.environ.update(GORNN_SERVE_DIR=a.dir, GORNN_SERVE_NAME=a.name, GORNN_SERVE_THREADS=str(a.threads))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [HERE, os.environ.get("PYTHONPATH")]))
    config = uvicorn.Config("torch_serve:app", host="127.0.0.1", port=a.port, workers=a.workers, log_level="warning")
    server = uvicorn.Server(config)
    if a.workers == 1:
        server.run()
        return
    # What uvicorn.run does for several workers, but with a socket whose
    # proto is IPPROTO_TCP: asyncio sets TCP_NODELAY on the connections of
    # such a socket only, and uvicorn's own (proto 0) leaves Nagle's
    # algorithm on, which with delayed ACKs costs about 40 ms per
    # keep-alive request.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", a.port))
    sock.set_inheritable(True)
    Multiprocess(config, target=server.run, sockets=[sock]).run()


if __name__ == "__main__":
    main()
