#!/usr/bin/env python3
"""Checks gornn's safetensors codec against PyTorch, both ways.

Run by hand with Debian's python3-torch 1.13 from the repository root (CI
never runs it; the safetensors Python package is not needed):

    /usr/bin/python3 graph/safetensors/testdata/interop.py

1. It writes torch.safetensors from PyTorch tensors with the independent
   writer below (struct + json + tensor.numpy().tobytes(), following the
   format's specification and the reference implementation's layout), and
   torch.json with the expected bit patterns, which the Go test
   TestTorchFixture reads back and re-encodes byte for byte.
2. It reads go.safetensors, written by the Go test TestGoFixture (regenerate
   it with `go test ./graph/safetensors -run TestGoFixture -update`), with the
   independent reader below, loads every tensor into torch, and compares it
   bit for bit with the values the Go helper goFixture computes.

It prints "ok" when every check passes and raises otherwise.
"""
import json
import math
import os
import struct

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))

# dtype name -> (torch dtype, element size, rank in the reference
# implementation's Dtype enum; higher rank comes first in the data).
DTYPES = {
    "BOOL": (torch.bool, 1, 0),
    "U8": (torch.uint8, 1, 1),
    "I8": (torch.int8, 1, 2),
    "I16": (torch.int16, 2, 5),
    "F16": (torch.float16, 2, 7),
    "BF16": (torch.bfloat16, 2, 8),
    "I32": (torch.int32, 4, 9),
    "F32": (torch.float32, 4, 11),
    "F64": (torch.float64, 8, 12),
    "I64": (torch.int64, 8, 13),
}
NAME_OF = {v[0]: k for k, v in DTYPES.items()}


assert struct.pack("=H", 1) == b"\x01\x00", "this script assumes a little-endian host"


def tensor_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def write(path, tensors, metadata):
    """Writes {name: tensor} the way the reference implementation does."""
    order = sorted(tensors, key=lambda n: (-DTYPES[NAME_OF[tensors[n].dtype]][2], n))
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = dict(sorted(metadata.items()))
    for name in order:
        t = tensors[name]
        data = tensor_bytes(t)
        header[name] = {
            "dtype": NAME_OF[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), f"duplicate keys {keys}"
    return dict(pairs)


def read(path):
    """Reads and validates a file, returning ({name: tensor}, metadata)."""
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    assert 8 + n <= len(buf), "header beyond end of file"
    assert n % 8 == 0, "header not padded to 8 bytes"
    header = json.loads(buf[8 : 8 + n].decode("utf-8"), object_pairs_hook=no_duplicates)
    data = buf[8 + n :]
    metadata = header.pop("__metadata__", None)
    at, tensors = 0, {}
    for name, info in sorted(header.items(), key=lambda kv: tuple(kv[1]["data_offsets"])):
        begin, end = info["data_offsets"]
        dtype, size, _ = DTYPES[info["dtype"]]
        assert begin == at, f"{name}: gap or overlap at {begin}"
        assert end - begin == size * math.prod(info["shape"]), f"{name}: size mismatch"
        at = end
        if end == begin:
            tensors[name] = torch.empty(info["shape"], dtype=dtype)
        else:
            tensors[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=dtype).reshape(info["shape"])
    assert at == len(data), "data not fully covered"
    return tensors, metadata, buf


def bits(t):
    """Bit patterns of a float tensor, for NaN-safe exact comparison."""
    view = {torch.float32: torch.int32, torch.float64: torch.int64}[t.dtype]
    mask = (1 << (8 * t.element_size())) - 1
    return [v & mask for v in t.contiguous().view(view).reshape(-1).tolist()]


def make_torch_fixture():
    gen = torch.Generator().manual_seed(7)
    tensors = {
        "embedding.weight": torch.randn(7, 3, generator=gen),
        "rnn.weight_ih_l0": torch.randn(8, 3, generator=gen) * 0.1,
        "fc.bias": torch.randn(4, generator=gen, dtype=torch.float64),
        "scalar": torch.tensor(3.25),
        "num_batches_tracked": torch.tensor(42),
        "ids": torch.tensor([[-1, 0, 1], [2**40, -(2**63), 2**63 - 1]]),
        "empty": torch.zeros(0, 5),
        "special": torch.tensor([0.0, -0.0, math.inf, -math.inf, math.nan, 1e-45, 3.4028235e38]),
        "half": torch.tensor([1.0, -2.0, 0.5], dtype=torch.bfloat16),
    }
    metadata = {"format": "pt", "source": "interop.py"}
    write(os.path.join(HERE, "torch.safetensors"), tensors, metadata)
    expect = {"metadata": metadata, "tensors": {}}
    for name, t in tensors.items():
        entry = {"dtype": NAME_OF[t.dtype], "shape": list(t.shape)}
        if t.dtype in (torch.float32, torch.float64):
            entry["bits"] = bits(t)
        elif t.dtype == torch.int64:
            entry["ints"] = t.reshape(-1).tolist()
        else:
            entry["bytes"] = list(tensor_bytes(t))
        expect["tensors"][name] = entry
    with open(os.path.join(HERE, "torch.json"), "w") as f:
        json.dump(expect, f, indent=1, sort_keys=True)
        f.write("\n")


def go_values():
    """The values goFixture (safetensors_test.go) writes; keep in sync."""
    f32 = np.array([(i - 7) * 0.375 + float(i * i) * 1e-3 for i in range(15)], dtype=np.float64)
    f64 = np.array([math.sqrt(i + 1) - 1.5 for i in range(6)], dtype=np.float64)
    special = np.array([0.0, -0.0, math.inf, -math.inf, math.nan, 1e-45, 3.4028235e38], dtype=np.float32)
    return {
        "w": (torch.from_numpy(f32.astype(np.float32)).reshape(3, 5), "F32"),
        "b": (torch.from_numpy(f64).reshape(2, 3), "F64"),
        "special": (torch.from_numpy(special), "F32"),
        "step": (torch.tensor(12345), "I64"),
        "ids": (torch.tensor([-1, 2**40, -(2**63), 2**63 - 1]), "I64"),
        "mask": (torch.tensor([1, 0, 255], dtype=torch.uint8), "U8"),
        "none": (torch.zeros(2, 0), "F32"),
    }


def check_go_fixture():
    path = os.path.join(HERE, "go.safetensors")
    tensors, metadata, raw = read(path)
    assert metadata == {"format": "pt", "producer": "gornn", "note": "café ✓"}, metadata
    want = go_values()
    assert sorted(tensors) == sorted(want), (sorted(tensors), sorted(want))
    for name, (w, dtype) in want.items():
        got = tensors[name]
        assert NAME_OF[got.dtype] == dtype, (name, got.dtype)
        assert list(got.shape) == list(w.shape), (name, got.shape, w.shape)
        if got.dtype in (torch.float32, torch.float64):
            assert bits(got) == bits(w.to(got.dtype)), (name, got, w)
        else:
            assert torch.equal(got, w.to(got.dtype)), (name, got, w)
    # The Go writer lays the file out exactly as this writer (and the
    # reference implementation) does.
    copy = os.path.join(HERE, "go.safetensors.pycopy")
    try:
        write(copy, tensors, metadata)
        with open(copy, "rb") as f:
            assert f.read() == raw, "Go and Python layouts differ"
    finally:
        os.remove(copy)


if __name__ == "__main__":
    make_torch_fixture()
    check_go_fixture()
    print("ok")
