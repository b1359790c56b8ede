#!/usr/bin/env python3
"""Generates train/testdata/optim_fixtures.json, the PyTorch parity fixtures
of the optimizers, gradient clipping and learning-rate schedules.

Run by hand with Debian's python3-torch 1.13 from the repository root (CI
never runs it):

    /usr/bin/python3 train/testdata/make_optim_fixtures.py

The optimizers are PyTorch's default (single-tensor, foreach=False) CPU code
paths, whose float32 kernels depend on the CPU capability PyTorch picks
(AVX2 here, which fuses multiply-adds); the file records which was used.

For every optimizer case it builds a few small parameters (sizes chosen to
exercise both the vectorised body and the scalar tail of PyTorch's kernels),
then for each of 5 steps sets fixed gradients and the step's learning rate,
calls optimizer.step(), and records the parameters. The final optimizer
state is recorded too. Clip cases record clip_grad_norm_'s total norm and
the clipped gradients. Schedule cases record the learning rate that
StepLR and CosineAnnealingLR give at each step. "pow" records Python's
beta ** step, which Adam's bias corrections use.
"""
import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 5
SHAPES = {"embedding.weight": [5, 7], "rnn.weight_ih_l0": [12, 5], "rnn.bias_ih_l0": [16], "fc.bias": [3]}


def tensor_json(t):
    """Shape and values; float32 values as their shortest float32 decimal."""
    t = t.detach().contiguous()
    data = t.reshape(-1).numpy()
    if t.dtype == torch.float32:
        values = [float(str(v)) for v in data]
    else:
        values = [float(v) for v in data]
    return {"shape": list(t.shape), "data": values}


def make_params(gen, dtype):
    return {n: torch.randn(*s, generator=gen, dtype=dtype) for n, s in SHAPES.items()}


def make_grads(gen, dtype):
    # Mixed magnitudes, as real gradients have.
    grads = []
    for step in range(STEPS):
        g = {}
        for n, s in SHAPES.items():
            scale = torch.exp(torch.randn(*s, generator=gen, dtype=dtype) * 2)  # ~e^-4 .. e^4
            g[n] = torch.randn(*s, generator=gen, dtype=dtype) * scale
        grads.append(g)
    return grads


OPTIMIZERS = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "rmsprop": torch.optim.RMSprop,
    "adagrad": torch.optim.Adagrad,
}

# name, optimizer, torch kwargs (besides lr), the learning rate of each step, dtype
CASES = [
    ("sgd", "sgd", {}, [0.1] * STEPS, torch.float32),
    ("sgd_momentum", "sgd", {"momentum": 0.9}, [0.1, 0.05, 0.1, 0.2, 0.01], torch.float32),
    ("sgd_momentum_dampening_wd", "sgd", {"momentum": 0.8, "dampening": 0.1, "weight_decay": 0.01}, [0.05] * STEPS, torch.float32),
    ("sgd_nesterov_wd", "sgd", {"momentum": 0.9, "nesterov": True, "weight_decay": 1e-4}, [0.1] * STEPS, torch.float32),
    ("adam", "adam", {}, [1e-3] * STEPS, torch.float32),
    ("adam_wd_betas_eps", "adam", {"betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.01}, [3e-3, 1e-3, 2e-3, 1e-3, 5e-4], torch.float32),
    ("rmsprop", "rmsprop", {}, [1e-2] * STEPS, torch.float32),
    ("rmsprop_momentum_wd", "rmsprop", {"alpha": 0.9, "momentum": 0.9, "weight_decay": 0.01, "eps": 1e-6}, [1e-2] * STEPS, torch.float32),
    ("adagrad", "adagrad", {}, [1e-2] * STEPS, torch.float32),
    ("adagrad_wd_decay_init", "adagrad", {"weight_decay": 0.01, "lr_decay": 0.01, "initial_accumulator_value": 0.1, "eps": 1e-8}, [1e-2] * STEPS, torch.float32),
    ("adam_float64", "adam", {"weight_decay": 0.01}, [1e-3] * STEPS, torch.float64),
    ("sgd_nesterov_float64", "sgd", {"momentum": 0.9, "nesterov": True, "weight_decay": 1e-4}, [0.1] * STEPS, torch.float64),
    ("rmsprop_momentum_float64", "rmsprop", {"momentum": 0.5, "weight_decay": 0.01}, [1e-2] * STEPS, torch.float64),
    ("adagrad_float64", "adagrad", {"weight_decay": 0.01, "lr_decay": 0.01}, [1e-2] * STEPS, torch.float64),
]

# Each torch state key, as gornn names the buffer.
STATE_KEYS = ["momentum_buffer", "exp_avg", "exp_avg_sq", "square_avg", "sum"]


def config_json(kwargs):
    out = dict(kwargs)
    if "betas" in out:
        out["beta1"], out["beta2"] = out.pop("betas")
    return out


def run_case(seed, name, opt_name, kwargs, lrs, dtype):
    gen = torch.Generator().manual_seed(seed)
    params = make_params(gen, dtype)
    grads = make_grads(gen, dtype)
    leaves = {n: p.clone().requires_grad_(True) for n, p in params.items()}
    opt = OPTIMIZERS[opt_name](list(leaves.values()), lr=lrs[0], **kwargs)
    steps = []
    for step, lr in enumerate(lrs):
        for n, p in leaves.items():
            p.grad = grads[step][n].clone()
        for group in opt.param_groups:
            group["lr"] = lr
        opt.step()
        steps.append({n: tensor_json(p) for n, p in leaves.items()})
    state = {}
    for n, p in leaves.items():
        for key in STATE_KEYS:
            if opt.state[p].get(key) is not None:
                state[key + "/" + n] = tensor_json(opt.state[p][key])
    return {
        "name": name,
        "optimizer": opt_name,
        "dtype": str(dtype).replace("torch.", ""),
        "config": config_json(kwargs),
        "lrs": lrs,
        "params": {n: tensor_json(p) for n, p in params.items()},
        "order": list(SHAPES),
        "grads": [{n: tensor_json(g) for n, g in gs.items()} for gs in grads],
        "steps": steps,
        "state": state,
    }


def clip_case(seed, max_norm, scale, dtype):
    gen = torch.Generator().manual_seed(seed)
    shapes = {"a": [40, 7], "b": [13], "c": [4, 9]}  # lengths with and without a vector tail
    grads = {n: torch.randn(*s, generator=gen, dtype=dtype) * scale for n, s in shapes.items()}
    leaves = {n: torch.zeros(*s, dtype=dtype, requires_grad=True) for n, s in shapes.items()}
    for n, p in leaves.items():
        p.grad = grads[n].clone()
    total = torch.nn.utils.clip_grad_norm_(list(leaves.values()), max_norm)
    return {
        "max_norm": max_norm,
        "dtype": str(dtype).replace("torch.", ""),
        "order": list(shapes),
        "grads": {n: tensor_json(g) for n, g in grads.items()},
        "total_norm": float(total),
        "clipped": {n: tensor_json(p.grad) for n, p in leaves.items()},
    }


def schedule_lrs(make, steps, base=0.1):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base)
    sched = make(opt)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


def main():
    torch.set_num_threads(1)
    cases = [run_case(100 + i, *c) for i, c in enumerate(CASES)]
    clips = [
        clip_case(1, 1.0, 1.0, torch.float32),  # clipped: norm ~ 18
        clip_case(2, 1000.0, 1.0, torch.float32),  # not clipped
        clip_case(3, 0.5, 1e-3, torch.float32),  # just below max_norm
        clip_case(4, 5.0, 3.0, torch.float64),
    ]
    # StepLR steps once per epoch; here 4 optimizer steps per epoch, 7 epochs.
    per_epoch, epochs = 4, 7
    step_epochs = schedule_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5), epochs)
    schedules = [
        {"name": "step", "spec": "step:every=2,gamma=0.5", "base": 0.1, "steps_per_epoch": per_epoch,
         "total_steps": per_epoch * epochs, "lrs": [lr for lr in step_epochs for _ in range(per_epoch)]},
        {"name": "cosine", "spec": "cosine", "base": 0.1, "steps_per_epoch": 10, "total_steps": 50,
         "lrs": schedule_lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=50), 50)},
    ]
    pow_table = [
        {"base": b, "exp": n, "value": b ** n}
        for b in (0.9, 0.999, 0.8, 0.99, 0.95, 0.9999)
        for n in list(range(1, 200)) + [255, 1000, 4097, 10**4, 65537, 10**5, 10**6, 2**24 - 1]
    ]
    out = {
        "torch_version": torch.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu")
        else next((l.split(":")[1].strip() for l in torch.__config__.show().splitlines() if "CPU capability" in l), "unknown"),
        "cases": cases,
        "clip": clips,
        "schedules": schedules,
        "pow": pow_table,
    }
    with open(os.path.join(HERE, "optim_fixtures.json"), "w") as f:
        json.dump(out, f)
        f.write("\n")


if __name__ == "__main__":
    main()
