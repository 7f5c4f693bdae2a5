"""PyTorch fixtures for attention modules and positional encodings, written by generate.py into fixtures/modules/.

Each case stores a module's parameters by their state_dict keys, its named inputs, its outputs, random upstream
gradients and the gradient of every parameter and float input (format in README.md, "Module fixtures").
nn.MultiheadAttention cases run torch's own module; what torch 1.13 lacks (grouped-query attention, RoPE, ALiBi,
additive and unscaled dot-product attention, the tutorial's sinusoidal table) is written out as explicit formulas.
"""

import json
import math
import os
import zlib

import torch
import torch.nn.functional as F

from generate import FIXTURES, to_bytes, write_safetensors


class NamedGroup:
    """One file of module cases, fixtures/modules/<name>.safetensors."""

    def __init__(self, name):
        self.name = name
        self.tensors = {}
        self.metadata = {}

    def case(self, cid, meta, build, grads=True):
        """build() runs right after reseeding and returns (params, inputs, fn): params and inputs are dicts of
        tensors in a fixed order; fn(params, inputs) returns a dict of outputs. Every float output gets a random
        upstream gradient; every parameter and float input gets its gradient."""
        assert cid not in self.metadata, cid
        torch.manual_seed(zlib.crc32(f"modules/{self.name}/{cid}".encode()))
        params, inputs, fn = build()
        params = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
        # Masks are constants: no gradient is recorded for them.
        inputs = {k: v.detach().clone().requires_grad_(v.is_floating_point() and grads and "mask" not in k) for k, v in inputs.items()}
        outputs = fn(params, inputs)

        def put(kind, name, t):
            self.tensors[f"{cid}/{kind}/{name}"] = to_bytes(t)

        for k, t in params.items():
            put("param", k, t)
        for k, t in inputs.items():
            put("input", k, t)
        for k, t in outputs.items():
            put("output", k, t)
        if grads:
            float_outputs = [(k, t) for k, t in outputs.items() if t.is_floating_point()]
            gouts = [torch.randn(t.shape) for _, t in float_outputs]
            wrt = [("grad_param", k, t) for k, t in params.items()] + \
                  [("grad_input", k, t) for k, t in inputs.items() if t.requires_grad]
            got = torch.autograd.grad([t for _, t in float_outputs], [t for _, _, t in wrt], gouts, allow_unused=True) if wrt else []
            for (k, _), g in zip(float_outputs, gouts):
                put("gout", k, g)
            for (kind, k, t), g in zip(wrt, got):
                put(kind, k, torch.zeros_like(t) if g is None else g)
        self.metadata[cid] = json.dumps(meta, sort_keys=True, separators=(",", ":"), allow_nan=False)

    def write(self):
        os.makedirs(os.path.join(FIXTURES, "modules"), exist_ok=True)
        write_safetensors(os.path.join(FIXTURES, "modules", self.name + ".safetensors"), self.tensors, self.metadata)
        return len(self.metadata)


# ---- masks -------------------------------------------------------------------------------------------------------
# Key 0 is never masked, so no query row is fully masked (torch 1.13 gives NaN there; see fully_masked_row_nan).

def lengths(b, s):
    """Per-batch valid key counts in [1, s], the first row full."""
    n = torch.randint(1, s + 1, (b,))
    n[0] = s
    return n


def padding_mask(b, s):
    """(B, S) bool, True = padding (nn.MultiheadAttention's convention)."""
    return torch.arange(s)[None, :] >= lengths(b, s)[:, None]


def float_padding_mask(b, s):
    """(B, S) float added to the scores: small random values, -inf at the padded keys."""
    return (0.5 * torch.randn(b, s)).masked_fill(padding_mask(b, s), float("-inf"))


def bool_attn_mask(*shape):
    """(..., L, S) bool, True = not allowed (nn.MultiheadAttention's convention)."""
    m = torch.rand(shape) < 0.3
    m[..., 0] = False
    return m


def float_attn_mask(*shape):
    return torch.randn(shape).masked_fill(bool_attn_mask(*shape), float("-inf"))


def causal_float_mask(l, s):
    return torch.zeros(l, s).masked_fill(torch.ones(l, s, dtype=torch.bool).triu(1), float("-inf"))


# ---- nn.MultiheadAttention ---------------------------------------------------------------------------------------

def perturb_biases(module):
    """torch initialises MHA biases to 0; random biases make their gradients and their use in forward visible."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("bias"):
                p.normal_(0, 0.5)


def mha(g, cid, e, h, l, s=None, b=2, batch_first=False, bias=True, kdim=None, vdim=None, need_weights=True,
        average=True, kpm=None, mask=None, unbatched=False, causal=False, grads=True):
    """One nn.MultiheadAttention case. s=None means self-attention (query is key is value). kpm: None, "bool",
    "float"; mask: None, "bool2d", "float2d", "bool3d", "float3d", "causal"."""
    self_attn = s is None
    s = l if self_attn else s
    init = {"embed_dim": e, "num_heads": h, "bias": bias, "kdim": kdim, "vdim": vdim, "batch_first": batch_first, "dropout": 0.0}
    fwd = {"need_weights": need_weights, "average_attn_weights": average, "self_attention": self_attn, "is_causal": causal,
           "unbatched": unbatched}

    def build():
        m = torch.nn.MultiheadAttention(e, h, dropout=0.0, bias=bias, kdim=kdim, vdim=vdim, batch_first=batch_first)
        perturb_biases(m)
        params = dict(m.named_parameters())

        def seq(t, dim):   # (T, B, D) or (B, T, D) or unbatched (T, D)
            if unbatched:
                return torch.randn(t, dim)
            return torch.randn(b, t, dim) if batch_first else torch.randn(t, b, dim)

        inputs = {"query": seq(l, e)}
        if not self_attn:
            inputs["key"] = seq(s, kdim or e)
            inputs["value"] = seq(s, vdim or e)
        nb = 1 if unbatched else b
        if kpm == "bool":
            inputs["key_padding_mask"] = padding_mask(nb, s)
        elif kpm == "float":
            inputs["key_padding_mask"] = float_padding_mask(nb, s)
        elif kpm == "all_padded":   # batch row 1 has no key at all: torch gives NaN there
            inputs["key_padding_mask"] = torch.arange(nb)[:, None].expand(nb, s) == 1
        if kpm is not None and unbatched:
            inputs["key_padding_mask"] = inputs["key_padding_mask"][0]
        if mask == "bool2d":
            inputs["attn_mask"] = bool_attn_mask(l, s)
        elif mask == "float2d":
            inputs["attn_mask"] = float_attn_mask(l, s)
        elif mask == "bool3d":
            inputs["attn_mask"] = bool_attn_mask(nb * h, l, s)
        elif mask == "float3d":
            inputs["attn_mask"] = float_attn_mask(nb * h, l, s)
        elif mask == "causal":
            inputs["attn_mask"] = causal_float_mask(l, s)

        def fn(p, x):
            # Run the module's own forward, but differentiate with respect to the leaves in p: swap them in.
            for name in p:
                mod, attr = (m.out_proj, name.split(".")[1]) if name.startswith("out_proj.") else (m, name)
                delattr(mod, attr)
                setattr(mod, attr, p[name])
            q = x["query"]
            k = x.get("key", q)
            v = x.get("value", q)
            out, w = m(q, k, v, key_padding_mask=x.get("key_padding_mask"), need_weights=need_weights,
                       attn_mask=x.get("attn_mask"), average_attn_weights=average)
            return {"output": out, "weights": w} if need_weights else {"output": out}

        return params, inputs, fn

    g.case(cid, {"module": "MultiheadAttention", "init": init, "forward": fwd}, build, grads=grads)


def mha_group():
    g = NamedGroup("mha")
    mha(g, "self_l7_d8", e=16, h=2, l=7)
    mha(g, "self_batch_first", e=16, h=2, l=7, batch_first=True)
    mha(g, "self_no_weights", e=16, h=2, l=7, need_weights=False)
    mha(g, "self_per_head_weights", e=16, h=2, l=7, batch_first=True, average=False)
    mha(g, "self_no_bias", e=16, h=2, l=7, bias=False)
    mha(g, "self_unbatched", e=16, h=2, l=7, unbatched=True, kpm="bool", mask="bool2d")
    mha(g, "cross_l7_s64", e=16, h=2, l=7, s=64)
    mha(g, "cross_l7_s64_batch_first", e=16, h=2, l=7, s=64, batch_first=True, kpm="bool")
    mha(g, "cross_kdim_vdim", e=16, h=2, l=7, s=7, kdim=12, vdim=20)
    mha(g, "cross_kdim_vdim_batch_first_masks", e=16, h=2, l=7, s=64, kdim=12, vdim=20, batch_first=True, kpm="bool", mask="float2d")
    mha(g, "cross_l1_s1", e=16, h=2, l=1, s=1)
    mha(g, "cross_l1_s7", e=16, h=2, l=1, s=7, kpm="bool")
    mha(g, "kpm_bool", e=16, h=2, l=7, b=3, kpm="bool")
    mha(g, "kpm_float", e=16, h=2, l=7, b=3, kpm="float")
    mha(g, "mask_bool_2d", e=16, h=2, l=7, mask="bool2d")
    mha(g, "mask_float_2d", e=16, h=2, l=7, mask="float2d")
    mha(g, "mask_bool_3d", e=16, h=2, l=7, s=9, mask="bool3d", average=False)
    mha(g, "mask_float_3d", e=16, h=2, l=7, s=9, mask="float3d")
    mha(g, "kpm_bool_mask_bool", e=16, h=2, l=7, b=3, kpm="bool", mask="bool2d")
    mha(g, "kpm_bool_mask_float", e=16, h=2, l=7, b=3, kpm="bool", mask="float2d", batch_first=True)
    mha(g, "kpm_bool_mask_bool_no_weights", e=16, h=2, l=7, b=3, kpm="bool", mask="bool3d", need_weights=False)
    mha(g, "causal_l7", e=16, h=2, l=7, mask="causal", causal=True)
    # Big lengths and head dims: one head (the projections grow as E²), one or two batch rows, weights rarely.
    mha(g, "causal_l64", e=16, h=2, l=64, b=1, mask="causal", causal=True, batch_first=True, need_weights=False)
    mha(g, "self_l64_d64", e=64, h=1, l=64, b=1, batch_first=True)
    mha(g, "self_l7_d80_kpm", e=80, h=1, l=7, b=2, kpm="bool", need_weights=False)
    mha(g, "self_l257_d8_kpm", e=16, h=2, l=257, b=1, kpm="bool", batch_first=True, need_weights=False)
    mha(g, "cross_l1_s257", e=16, h=2, l=1, s=257, b=1, mask="float2d")
    # torch 1.13 gives NaN for batch row 1, whose keys are all padding; SharpAttention gives zeros (forward only).
    mha(g, "fully_masked_row_nan", e=16, h=2, l=3, kpm="all_padded", grads=False)
    return g


# ---- explicit formulas -------------------------------------------------------------------------------------------

def gqa(g, cid, e, h, hkv, l, s=None, b=2, batch_first=True, kdim=None, vdim=None, need_weights=True, average=True,
        kpm=None, mask=None, causal=False):
    """SharpAttention's MultiheadAttention with num_kv_heads: q/k/v projections of E, Hkv·D and Hkv·D outputs,
    kv head g serving query heads g·H/Hkv … (g+1)·H/Hkv − 1, then torch MHA's softmax(q·kᵀ/√D + mask)·v."""
    self_attn = s is None
    s = l if self_attn else s
    d = e // h
    init = {"embed_dim": e, "num_heads": h, "num_kv_heads": hkv, "bias": True, "kdim": kdim, "vdim": vdim,
            "batch_first": batch_first, "dropout": 0.0}
    fwd = {"need_weights": need_weights, "average_attn_weights": average, "self_attention": self_attn, "is_causal": causal,
           "unbatched": False}

    def build():
        params = {"q_proj_weight": torch.empty(e, e), "k_proj_weight": torch.empty(hkv * d, kdim or e),
                  "v_proj_weight": torch.empty(hkv * d, vdim or e)}
        for t in params.values():
            torch.nn.init.xavier_uniform_(t)
        params["in_proj_bias"] = 0.5 * torch.randn(e + 2 * hkv * d)
        out = torch.nn.Linear(e, e)
        params["out_proj.weight"] = out.weight.detach()
        params["out_proj.bias"] = 0.5 * torch.randn(e)

        def seq(t, dim):
            return torch.randn(b, t, dim) if batch_first else torch.randn(t, b, dim)

        inputs = {"query": seq(l, e)}
        if not self_attn:
            inputs["key"] = seq(s, kdim or e)
            inputs["value"] = seq(s, vdim or e)
        if kpm == "bool":
            inputs["key_padding_mask"] = padding_mask(b, s)
        if mask == "bool2d":
            inputs["attn_mask"] = bool_attn_mask(l, s)
        elif mask == "causal":
            inputs["attn_mask"] = causal_float_mask(l, s)

        def fn(p, x):
            q = x["query"]
            k = x.get("key", q)
            v = x.get("value", q)
            if not batch_first:
                q, k, v = (t.transpose(0, 1) for t in (q, k, v))
            bq, bk, bv = p["in_proj_bias"].split([e, hkv * d, hkv * d])
            q = F.linear(q, p["q_proj_weight"], bq).view(b, l, h, d).transpose(1, 2)          # (B, H, L, D)
            k = F.linear(k, p["k_proj_weight"], bk).view(b, s, hkv, d).transpose(1, 2)        # (B, Hkv, S, D)
            v = F.linear(v, p["v_proj_weight"], bv).view(b, s, hkv, d).transpose(1, 2)
            k = k.repeat_interleave(h // hkv, dim=1)                                           # (B, H, S, D)
            v = v.repeat_interleave(h // hkv, dim=1)
            scores = q @ k.transpose(-2, -1) / math.sqrt(d)
            if "attn_mask" in x:
                m = x["attn_mask"]
                scores = scores.masked_fill(m, float("-inf")) if m.dtype == torch.bool else scores + m
            if "key_padding_mask" in x:
                scores = scores.masked_fill(x["key_padding_mask"][:, None, None, :], float("-inf"))
            w = scores.softmax(-1)
            o = (w @ v).transpose(1, 2).reshape(b, l, e)
            o = F.linear(o, p["out_proj.weight"], p["out_proj.bias"])
            if not batch_first:
                o = o.transpose(0, 1)
            res = {"output": o}
            if need_weights:
                res["weights"] = w.mean(1) if average else w
            return res

        return params, inputs, fn

    g.case(cid, {"module": "MultiheadAttention", "init": init, "forward": fwd}, build)


def dot_product(g, cid, shape_q, s, dv=None, mask=None, causal=False, scale=None, need_weights=True):
    """softmax(q·kᵀ·scale + mask)·v with scale 1 (DotProductAttention) or a given scale; mask in the SDPA convention
    (bool True = may attend, float added). Returns output and weights."""
    *lead, l, d = shape_q
    dv = dv or d
    meta = {"module": "DotProductAttention", "forward": {"is_causal": causal, "scale": scale, "need_weights": need_weights}}

    def build():
        inputs = {"query": torch.randn(*lead, l, d), "key": torch.randn(*lead, s, d), "value": torch.randn(*lead, s, dv)}
        if mask == "bool":
            inputs["attn_mask"] = ~bool_attn_mask(l, s)
        elif mask == "float":
            inputs["attn_mask"] = float_attn_mask(*lead[:1], 1, l, s) if len(lead) == 2 else float_attn_mask(l, s)

        def fn(p, x):
            scores = x["query"] @ x["key"].transpose(-2, -1) * (1.0 if scale is None else scale)
            if causal:
                scores = scores.masked_fill(torch.ones(l, s, dtype=torch.bool).triu(1), float("-inf"))
            if "attn_mask" in x:
                m = x["attn_mask"]
                scores = scores.masked_fill(~m, float("-inf")) if m.dtype == torch.bool else scores + m
            w = scores.softmax(-1)
            return {"output": w @ x["value"], "weights": w} if need_weights else {"output": w @ x["value"]}

        return {}, inputs, fn

    g.case(cid, meta, build)


def additive(g, cid, b, l, s, dq, dk, dv, a, mask=None):
    """Bahdanau attention: scores = vᵀ·tanh(W₁q + W₂k), (B, L, S); mask bool True = may attend."""
    meta = {"module": "AdditiveAttention", "init": {"query_dim": dq, "key_dim": dk, "hidden_dim": a}, "forward": {}}

    def build():
        params = {"query_proj.weight": torch.nn.Linear(dq, a, bias=False).weight.detach(),
                  "key_proj.weight": torch.nn.Linear(dk, a, bias=False).weight.detach(),
                  "score_proj.weight": torch.nn.Linear(a, 1, bias=False).weight.detach()}
        inputs = {"query": torch.randn(b, l, dq), "key": torch.randn(b, s, dk), "value": torch.randn(b, s, dv)}
        if mask == "padding":
            inputs["attn_mask"] = ~padding_mask(b, s)[:, None, :]       # (B, 1, S)
        elif mask == "full":
            inputs["attn_mask"] = ~bool_attn_mask(b, l, s)               # (B, L, S)

        def fn(p, x):
            qp = x["query"] @ p["query_proj.weight"].T                  # (B, L, A)
            kp = x["key"] @ p["key_proj.weight"].T                      # (B, S, A)
            feat = torch.tanh(qp[:, :, None, :] + kp[:, None, :, :])   # (B, L, S, A)
            scores = (feat @ p["score_proj.weight"].T).squeeze(-1)      # (B, L, S)
            if "attn_mask" in x:
                scores = scores.masked_fill(~x["attn_mask"], float("-inf"))
            w = scores.softmax(-1)
            return {"output": w @ x["value"], "weights": w}

        return params, inputs, fn

    g.case(cid, meta, build)


def alibi_slopes(n):
    """Press et al.'s reference code."""
    def power_of_2(n):
        start = 2 ** (-2 ** -(math.log2(n) - 3))
        return [start * start ** i for i in range(n)]
    if math.log2(n).is_integer():
        return power_of_2(n)
    p = 2 ** math.floor(math.log2(n))
    return power_of_2(p) + alibi_slopes(2 * p)[0::2][:n - p]


def alibi_bias(h, l, s, causal):
    qpos = torch.arange(s - l, s)
    kpos = torch.arange(s)
    bias = torch.tensor(alibi_slopes(h))[:, None, None] * -(qpos[:, None] - kpos[None, :]).float()   # (H, L, S)
    if causal:
        bias = bias.masked_fill(kpos[None, :] > qpos[:, None], float("-inf"))
    return bias


def attention_group():
    g = NamedGroup("attention")
    gqa(g, "gqa_h4_kv2_l7_d8", e=32, h=4, hkv=2, l=7)
    gqa(g, "gqa_h4_kv2_causal_per_head", e=32, h=4, hkv=2, l=7, mask="causal", causal=True, average=False)
    gqa(g, "gqa_cross_kdim_seq_first", e=32, h=4, hkv=2, l=7, s=9, kdim=12, vdim=20, batch_first=False, kpm="bool")
    gqa(g, "mqa_h4_kv1_l64_causal", e=32, h=4, hkv=1, l=64, b=1, mask="causal", causal=True, need_weights=False)
    gqa(g, "gqa_h4_kv2_l257_kpm", e=32, h=4, hkv=2, l=257, b=1, kpm="bool", need_weights=False)
    gqa(g, "mqa_h2_kv1_l1_s7", e=16, h=2, hkv=1, l=1, s=7, mask="bool2d")

    dot_product(g, "dot_l7_d8", (2, 2, 7, 8), 7)
    dot_product(g, "dot_causal_l7_d8", (2, 2, 7, 8), 7, causal=True)
    dot_product(g, "dot_3d_bool_mask", (3, 7, 8), 9, dv=5, mask="bool")
    dot_product(g, "dot_float_mask_l1_s64", (2, 2, 1, 8), 64, mask="float")
    # Scaled dot-product attention at 1/√D: the causal references at the big lengths and head dims.
    dot_product(g, "sdpa_causal_l64_d64", (1, 1, 64, 64), 64, causal=True, scale=1 / 8)
    dot_product(g, "sdpa_causal_l257_d80", (1, 1, 257, 80), 257, causal=True, scale=1 / math.sqrt(80), need_weights=False)

    additive(g, "additive_l7_s9", b=2, l=7, s=9, dq=6, dk=5, dv=7, a=8)
    additive(g, "additive_padding", b=3, l=7, s=64, dq=6, dk=5, dv=7, a=8, mask="padding")
    additive(g, "additive_full_mask_l1", b=2, l=1, s=7, dq=4, dk=4, dv=3, a=16, mask="full")
    additive(g, "additive_l1_s257", b=1, l=1, s=257, dq=8, dk=8, dv=8, a=8)
    return g


def rope(g, cid, shape, dim, base=10000.0, offset=0, k_len=None):
    """HF/GPT-NeoX rotate-half RoPE on q (B, H, T, D) and k (B, Hk, S, D): the first `dim` features rotated by position,
    positions offset … for q and offset + T − S … for k."""
    b, h, t, d = shape
    s = k_len or t
    meta = {"module": "RotaryEmbedding", "init": {"dim": dim, "base": base}, "forward": {"offset": offset}}

    def build():
        inputs = {"query": torch.randn(b, h, t, d), "key": torch.randn(b, max(1, h // 2), s, d)}

        def tables(start, n):
            inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
            freqs = torch.outer(torch.arange(start, start + n).float(), inv_freq)
            emb = torch.cat((freqs, freqs), dim=-1)
            return emb.cos(), emb.sin()

        def rotate_half(x):
            x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
            return torch.cat((-x2, x1), dim=-1)

        def apply(x, start):
            cos, sin = tables(start, x.shape[-2])
            r, rest = x[..., :dim], x[..., dim:]
            return torch.cat((r * cos + rotate_half(r) * sin, rest), dim=-1)

        def fn(p, x):
            return {"query": apply(x["query"], offset), "key": apply(x["key"], offset + t - s)}

        return {}, inputs, fn

    g.case(cid, meta, build)


def positional_group():
    g = NamedGroup("positional")
    rope(g, "rope_t7_d8", (2, 2, 7, 8), 8)
    rope(g, "rope_t1_d64_offset", (1, 2, 1, 64), 64, offset=63, k_len=64)
    rope(g, "rope_t64_d64_base500000", (1, 1, 64, 64), 64, base=500000.0)
    rope(g, "rope_t257_d8", (1, 1, 257, 8), 8)
    rope(g, "rope_t64_d80", (1, 1, 64, 80), 80)
    rope(g, "rope_partial_t7_d80", (1, 2, 7, 80), 32, offset=5)

    for h, l, s, causal in ((8, 7, 7, True), (6, 7, 7, False), (12, 1, 257, True), (5, 64, 64, True)):
        cid = f"alibi_h{h}_l{l}_s{s}" + ("_causal" if causal else "")
        meta = {"module": "Alibi", "init": {"num_heads": h}, "forward": {"query_length": l, "key_length": s, "causal": causal}}
        g.case(cid, meta, lambda h=h, l=l, s=s, c=causal: ({}, {}, lambda p, x: {"bias": alibi_bias(h, l, s, c)}), grads=False)

    def alibi_attention():
        inputs = {"query": torch.randn(1, 6, 64, 8), "key": torch.randn(1, 6, 64, 8), "value": torch.randn(1, 6, 64, 8)}

        def fn(p, x):
            scores = x["query"] @ x["key"].transpose(-2, -1) / math.sqrt(8) + alibi_bias(6, 64, 64, True)
            return {"output": scores.softmax(-1) @ x["value"]}

        return {}, inputs, fn

    g.case("alibi_attention_h6_l64", {"module": "Alibi", "init": {"num_heads": 6}, "forward": {"causal": True}}, alibi_attention)

    # The PyTorch tutorial's PositionalEncoding table, for these d_model values, rows [start, stop) of max_len.
    for d, start, stop, max_len in ((16, 0, 64, 64), (80, 0, 257, 257), (512, 4990, 5000, 5000)):
        def table(d=d, start=start, stop=stop, max_len=max_len):
            position = torch.arange(max_len).unsqueeze(1)
            div_term = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
            pe = torch.zeros(max_len, 1, d)
            pe[:, 0, 0::2] = torch.sin(position * div_term)
            pe[:, 0, 1::2] = torch.cos(position * div_term)
            return {}, {}, lambda p, x: {"pe": pe[start:stop, 0]}
        meta = {"module": "SinusoidalPositionalEncoding", "init": {"d_model": d, "max_len": max_len}, "forward": {"start": start}}
        g.case(f"sinusoidal_d{d}_rows{start}_{stop}", meta, table, grads=False)
    return g


GROUPS = (mha_group, attention_group, positional_group)
