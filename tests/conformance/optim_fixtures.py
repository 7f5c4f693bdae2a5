"""Optimizer and gradient-clipping fixtures (torch.optim, torch.nn.utils), written by generate.py into
fixtures/training/optim.safetensors. Layout in tests/conformance/README.md ("Training fixtures")."""

import json
import zlib

import torch

STEPS = 10


def _seed(cid):
    torch.manual_seed(zlib.crc32(f"optim/{cid}".encode()))


def _meta(**entries):
    return json.dumps(entries, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _given_grads(put, cid, optimizer, kwargs, groups, shapes, skip=()):
    """Runs STEPS updates with random gradients; (step, j) in skip leaves parameter j without a gradient."""
    _seed(cid)
    params = [torch.randn(s, requires_grad=True) for s in shapes]
    for j, p in enumerate(params):
        put(f"{cid}/p{j}/init", p)
    param_groups = [dict(params=[params[j] for j in g["params"]], **g.get("options", {})) for g in groups]
    opt = getattr(torch.optim, optimizer)(param_groups, **kwargs)
    for s in range(STEPS):
        opt.zero_grad(set_to_none=True)
        for j, p in enumerate(params):
            g = torch.randn(p.shape)
            if (s, j) in skip:
                continue
            p.grad = g
            put(f"{cid}/step{s}/g{j}", g)
        opt.step()
    for j, p in enumerate(params):
        put(f"{cid}/p{j}/final", p)
    return _meta(optimizer=optimizer, kwargs=kwargs, groups=groups, steps=STEPS, model=None)


def _model(put, cid, optimizer, kwargs):
    """A two-layer tanh MLP with a mean-squared-error loss; the gradients come from each side's own autograd."""
    _seed(cid)
    shapes = [(8, 5), (8,), (3, 8), (3,)]
    params = [(torch.randn(s) * 0.5).requires_grad_() for s in shapes]
    x, y = torch.randn(16, 5), torch.randn(16, 3)
    put(f"{cid}/x", x)
    put(f"{cid}/y", y)
    for j, p in enumerate(params):
        put(f"{cid}/p{j}/init", p)
    opt = getattr(torch.optim, optimizer)(params, **kwargs)
    for _ in range(STEPS):
        opt.zero_grad(set_to_none=True)
        w1, b1, w2, b2 = params
        out = torch.tanh(x @ w1.t() + b1) @ w2.t() + b2
        ((out - y) ** 2).mean().backward()
        opt.step()
    for j, p in enumerate(params):
        put(f"{cid}/p{j}/final", p)
    return _meta(optimizer=optimizer, kwargs=kwargs, groups=[{"params": [0, 1, 2, 3]}], steps=STEPS, model="mlp_tanh_mse")


def _clip(put, cid, max_norm, norm_type, shapes, scale):
    _seed(cid)
    params = [torch.zeros(s, requires_grad=True) for s in shapes]
    for j, p in enumerate(params):
        p.grad = torch.randn(p.shape) * scale
        put(f"{cid}/g{j}/before", p.grad)
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    for j, p in enumerate(params):
        put(f"{cid}/g{j}/after", p.grad)
    put(f"{cid}/total_norm", total.reshape(1))
    return _meta(optimizer="clip_grad_norm_", kwargs={"max_norm": max_norm, "norm_type": "inf" if norm_type == float("inf") else norm_type},
                 groups=[], steps=0, model=None)


def build(put):
    """Calls put(name, tensor) for every tensor and returns {case id: JSON metadata}."""
    shapes = [(4, 3), (3,), (2, 2, 5)]
    one = [{"params": [0, 1, 2]}]
    cases = {
        "sgd": lambda c: _given_grads(put, c, "SGD", {"lr": 0.05}, one, shapes),
        "sgd_momentum": lambda c: _given_grads(put, c, "SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}, one, shapes),
        "sgd_nesterov": lambda c: _given_grads(put, c, "SGD", {"lr": 0.1, "momentum": 0.8, "nesterov": True, "weight_decay": 0.02}, one, shapes),
        "sgd_maximize": lambda c: _given_grads(put, c, "SGD", {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.1, "maximize": True}, one, shapes),
        "adam": lambda c: _given_grads(put, c, "Adam", {"lr": 0.01, "betas": [0.9, 0.98], "eps": 1e-9}, one, shapes),
        "adam_l2": lambda c: _given_grads(put, c, "Adam", {"lr": 0.01, "weight_decay": 0.1}, one, shapes),
        "adam_amsgrad": lambda c: _given_grads(put, c, "Adam", {"lr": 0.02, "amsgrad": True}, one, shapes),
        "adam_skipped_grads": lambda c: _given_grads(put, c, "Adam", {"lr": 0.01}, one, shapes, skip={(0, 1), (3, 1), (4, 2)}),
        "adamw": lambda c: _given_grads(put, c, "AdamW", {"lr": 0.01, "weight_decay": 0.05}, one, shapes),
        "adamw_groups": lambda c: _given_grads(
            put, c, "AdamW", {"lr": 0.01, "weight_decay": 0.1},
            [{"params": [0, 2]}, {"params": [1], "options": {"lr": 0.003, "weight_decay": 0.0}}], shapes),
        "sgd_groups": lambda c: _given_grads(
            put, c, "SGD", {"lr": 0.1, "momentum": 0.9},
            [{"params": [1]}, {"params": [0, 2], "options": {"lr": 0.01, "weight_decay": 0.05}}], shapes),
        "model_sgd_momentum": lambda c: _model(put, c, "SGD", {"lr": 0.1, "momentum": 0.9}),
        "model_adam": lambda c: _model(put, c, "Adam", {"lr": 0.01}),
        "model_adamw": lambda c: _model(put, c, "AdamW", {"lr": 0.01, "weight_decay": 0.1}),
        "clip_l2": lambda c: _clip(put, c, 1.0, 2.0, shapes, 3.0),
        "clip_l2_no_change": lambda c: _clip(put, c, 100.0, 2.0, shapes, 0.1),
        "clip_l1": lambda c: _clip(put, c, 0.5, 1.0, shapes, 1.0),
        "clip_inf": lambda c: _clip(put, c, 0.25, float("inf"), shapes, 1.0),
    }
    return {cid: make(cid) for cid, make in cases.items()}
