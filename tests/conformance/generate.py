"""PyTorch conformance fixtures for SharpAttention.

Run with Debian's python3 (it has torch 1.13):  /usr/bin/python3 tests/conformance/generate.py
Writes tests/conformance/fixtures/<group>.safetensors; the format is described in tests/conformance/README.md.
Re-running reproduces every file byte for byte, on any x86-64 machine: each case reseeds torch from a hash of its id,
torch runs on one thread with its BLAS and vector kernels pinned (pin_kernels.py), and the safetensors writer below
sorts everything it writes.
"""

import json
import os
import struct
import sys
import zlib

import pin_kernels  # noqa: F401  (before torch: it fixes the kernels torch loads with)
import torch
import torch.nn.functional as F

import optim_fixtures

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")

DTYPES = {torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8"), torch.bool: ("BOOL", "|b1")}
ITEMSIZE = {"F32": 4, "I64": 8, "BOOL": 1}


def write_safetensors(path, tensors, metadata):
    """Writes the safetensors layout by hand: u64 header length, compact JSON header with sorted keys padded with
    spaces to a multiple of 8, then the data, largest element size first and then by name (every tensor aligned)."""
    order = sorted(tensors, key=lambda name: (-ITEMSIZE[tensors[name][0]], name))
    header, blobs, offset = {}, [], 0
    for name in order:
        dtype, shape, blob = tensors[name]
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata:
        header["__metadata__"] = dict(metadata)
    text = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


def to_bytes(t):
    dtype, np_dtype = DTYPES[t.dtype]
    return dtype, tuple(t.shape), t.detach().contiguous().numpy().astype(np_dtype, copy=False).tobytes()


class Group:
    """One fixture file: collects cases, then writes <name>.safetensors."""

    def __init__(self, name):
        self.name = name
        self.tensors = {}
        self.metadata = {}

    def case(self, cid, op, kwargs, make_inputs, fn):
        """make_inputs() builds the inputs (called right after reseeding); fn(*inputs) runs the torch op and returns
        a tensor or a tuple/list of tensors. Every float output gets a random upstream gradient and every float
        input gets its gradient from torch.autograd.grad."""
        assert cid not in self.metadata, cid
        torch.manual_seed(zlib.crc32(f"{self.name}/{cid}".encode()))
        inputs = [t.detach().clone().requires_grad_(t.is_floating_point()) for t in make_inputs()]
        result = fn(*inputs)
        outputs = list(result) if isinstance(result, (tuple, list)) else [result]
        float_outputs = [o for o in outputs if o.is_floating_point()]
        gouts = [torch.randn(o.shape) for o in float_outputs]
        float_inputs = [t for t in inputs if t.is_floating_point()]
        grads = []
        if float_inputs:
            grads = torch.autograd.grad(float_outputs, float_inputs, gouts, allow_unused=True)

        def put(name, t):
            self.tensors[f"{cid}/{name}"] = to_bytes(t)

        for k, t in enumerate(inputs):
            put(f"in{k}", t)
        for k, t in enumerate(outputs):
            put(f"out{k}", t)
        for k, t in enumerate(gouts):
            put(f"gout{k}", t)
        float_grads = iter(grads)
        for k, t in enumerate(inputs):
            if t.is_floating_point():
                g = next(float_grads)
                put(f"grad{k}", torch.zeros_like(t) if g is None else g)
        self.metadata[cid] = json.dumps({"op": op, "kwargs": kwargs}, sort_keys=True, separators=(",", ":"), allow_nan=False)

    def write(self):
        write_safetensors(os.path.join(FIXTURES, self.name + ".safetensors"), self.tensors, self.metadata)
        return len(self.metadata)


# Input makers. positive() keeps log/sqrt/rsqrt/pow bases and denominators away from 0; signed_away() also covers
# negative denominators.
def randn(*shape):
    return torch.randn(shape)


def positive(*shape):
    return torch.rand(shape) + 0.5


def signed_away(*shape):
    return torch.where(torch.rand(shape) < 0.5, -1.0, 1.0) * (torch.rand(shape) + 0.5)


def ints(high, *shape):
    return torch.randint(0, high, shape, dtype=torch.int64)


def mask(*shape):
    return torch.rand(shape) < 0.5


def pointwise():
    g = Group("pointwise")
    binary = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div}
    for op, fn in binary.items():
        other = signed_away if op == "div" else randn
        g.case(f"{op}_same", op, {}, lambda: [randn(3, 4), other(3, 4)], fn)
        g.case(f"{op}_broadcast", op, {}, lambda: [randn(4, 1, 3), other(2, 1)], fn)
        g.case(f"{op}_broadcast_size1", op, {}, lambda: [randn(1, 5), other(3, 1)], fn)
        g.case(f"{op}_0d", op, {}, lambda: [randn(2, 3), other()], fn)
        g.case(f"{op}_empty", op, {}, lambda: [randn(0, 3), other(1, 3)], fn)
        g.case(f"{op}_scalar", op, {"other": 2.5}, lambda: [randn(3, 4)], lambda x: fn(x, 2.5))

    unary = {
        "neg": (torch.neg, randn), "exp": (torch.exp, randn), "log": (torch.log, positive),
        "sqrt": (torch.sqrt, positive), "rsqrt": (torch.rsqrt, positive), "tanh": (torch.tanh, lambda *s: 2 * randn(*s)),
        "sigmoid": (torch.sigmoid, lambda *s: 3 * randn(*s)), "relu": (torch.relu, randn), "silu": (F.silu, lambda *s: 2 * randn(*s)),
    }
    for op, (fn, make) in unary.items():
        g.case(f"{op}_2d", op, {}, lambda: [make(3, 4)], fn)
        g.case(f"{op}_size1", op, {}, lambda: [make(2, 1, 5)], fn)
        g.case(f"{op}_0d", op, {}, lambda: [make()], fn)
        g.case(f"{op}_empty", op, {}, lambda: [make(0, 4)], fn)

    for approximate in ("none", "tanh"):
        kw = {"approximate": approximate}
        fn = lambda x, a=approximate: F.gelu(x, approximate=a)
        g.case(f"gelu_{approximate}_2d", "gelu", kw, lambda: [2 * randn(3, 4)], fn)
        g.case(f"gelu_{approximate}_size1", "gelu", kw, lambda: [2 * randn(2, 1, 5)], fn)
        g.case(f"gelu_{approximate}_empty", "gelu", kw, lambda: [randn(0, 4)], fn)

    g.case("pow_exponent3", "pow", {"exponent": 3.0}, lambda: [randn(3, 4)], lambda x: torch.pow(x, 3.0))
    g.case("pow_exponent_half", "pow", {"exponent": 0.5}, lambda: [positive(2, 1, 5)], lambda x: torch.pow(x, 0.5))
    g.case("pow_exponent2_empty", "pow", {"exponent": 2.0}, lambda: [randn(0, 3)], lambda x: torch.pow(x, 2.0))
    g.case("pow_tensor", "pow", {}, lambda: [positive(3, 4), randn(3, 4)], torch.pow)
    g.case("pow_tensor_broadcast", "pow", {}, lambda: [positive(2, 3, 1), randn(4)], torch.pow)
    return g


def reduce():
    g = Group("reduce")
    for op, fn in (("sum", torch.sum), ("mean", torch.mean)):
        g.case(f"{op}_all", op, {}, lambda: [randn(3, 4)], fn)
        g.case(f"{op}_all_3d", op, {}, lambda: [randn(2, 3, 4)], fn)
        g.case(f"{op}_dim0", op, {"dim": [0], "keepdim": False}, lambda: [randn(3, 4)], lambda x: fn(x, dim=[0], keepdim=False))
        g.case(f"{op}_dims_keepdim", op, {"dim": [0, 2], "keepdim": True}, lambda: [randn(2, 3, 4)], lambda x: fn(x, dim=[0, 2], keepdim=True))
        g.case(f"{op}_dim_neg", op, {"dim": [-1], "keepdim": False}, lambda: [randn(2, 3, 4)], lambda x: fn(x, dim=[-1], keepdim=False))
        g.case(f"{op}_size1", op, {"dim": [2], "keepdim": True}, lambda: [randn(1, 4, 1)], lambda x: fn(x, dim=[2], keepdim=True))
        g.case(f"{op}_empty_rows", op, {"dim": [1], "keepdim": False}, lambda: [randn(0, 3)], lambda x: fn(x, dim=[1], keepdim=False))
    g.case("sum_over_empty_dim", "sum", {"dim": [0], "keepdim": False}, lambda: [randn(0, 3)], lambda x: torch.sum(x, dim=[0]))
    # PyTorch's mean over an empty dimension is 0/0 = NaN; NaN must propagate, not be replaced.
    g.case("mean_over_empty_dim_nan", "mean", {"dim": [0], "keepdim": False}, lambda: [randn(0, 3)], lambda x: torch.mean(x, dim=[0]))

    g.case("max_all", "max", {}, lambda: [randn(3, 4)], torch.max)
    g.case("max_all_3d", "max", {}, lambda: [randn(2, 3, 4)], torch.max)
    for cid, shape, dim, keepdim in (("max_dim1", (3, 4), 1, False), ("max_dim0_keepdim", (3, 4), 0, True),
                                     ("max_dim_neg_keepdim", (2, 3, 4), -1, True), ("max_dim1_3d", (2, 3, 4), 1, False),
                                     ("max_size1", (3, 1), 1, False), ("max_empty_rows", (0, 3), 1, False)):
        g.case(cid, "max", {"dim": dim, "keepdim": keepdim}, lambda s=shape: [randn(*s)],
               lambda x, d=dim, k=keepdim: tuple(torch.max(x, dim=d, keepdim=k)))

    for cid, shape, dim, unbiased, keepdim in (("var_dim1", (3, 5), [1], True, False),
                                               ("var_dims_keepdim_biased", (2, 3, 4), [0, 2], False, True),
                                               ("var_dim_neg_biased", (2, 3, 4), [-1], False, False),
                                               ("var_all", (3, 4), None, True, False),
                                               ("var_size1", (4, 1), [0], True, True),
                                               ("var_empty_rows", (0, 3), [1], True, False)):
        kw = {"dim": dim, "correction": 1 if unbiased else 0, "keepdim": keepdim}
        g.case(cid, "var", kw, lambda s=shape: [randn(*s)], lambda x, d=dim, u=unbiased, k=keepdim: torch.var(x, dim=d, unbiased=u, keepdim=k))
    return g


def matmul():
    g = Group("matmul")
    for cid, a, b in (("matmul_2d", (3, 4), (4, 5)), ("matmul_batched", (2, 3, 4), (2, 4, 5)),
                      ("matmul_broadcast_batch", (2, 1, 3, 4), (5, 4, 6)), ("matmul_3d_2d", (2, 3, 4), (4, 5)),
                      ("matmul_vec_mat", (4,), (4, 5)), ("matmul_mat_vec", (3, 4), (4,)), ("matmul_vec_vec", (4,), (4,)),
                      ("matmul_vec_batched", (4,), (2, 4, 5)), ("matmul_batched_vec", (2, 3, 4), (4,)),
                      ("matmul_size1", (1, 4), (4, 1)), ("matmul_empty_rows", (0, 4), (4, 5)), ("matmul_empty_inner", (3, 0), (0, 5))):
        g.case(cid, "matmul", {}, lambda a=a, b=b: [randn(*a), randn(*b)], torch.matmul)

    for cid, x, bias in (("linear_2d_bias", (3, 4), True), ("linear_2d_nobias", (3, 4), False),
                         ("linear_3d_bias", (2, 3, 4), True), ("linear_3d_nobias", (2, 3, 4), False),
                         ("linear_1d_bias", (4,), True), ("linear_empty_batch", (0, 4), True)):
        make = lambda x=x, bias=bias: [randn(*x), randn(5, 4)] + ([randn(5)] if bias else [])
        g.case(cid, "linear", {}, make, F.linear)
    return g


def softmax():
    g = Group("softmax")
    for op, fn in (("softmax", F.softmax), ("log_softmax", F.log_softmax)):
        for cid, make, dim in (("dim_last", lambda: [randn(3, 5)], -1), ("dim0", lambda: [randn(3, 5)], 0),
                               ("dim1_3d", lambda: [randn(2, 3, 4)], 1),
                               # Logits near 1000 overflow exp() unless the max is subtracted first.
                               ("large_logits", lambda: [1000 + 3 * randn(2, 5)], -1),
                               ("large_spread", lambda: [100 * randn(2, 5)], -1),
                               ("size1", lambda: [randn(3, 1)], 1), ("empty_rows", lambda: [randn(0, 5)], -1)):
            g.case(f"{op}_{cid}", op, {"dim": dim}, make, lambda x, d=dim, f=fn: f(x, dim=d))

    for cid, shape, norm, affine, eps in (("layer_norm_last", (3, 5), [5], "both", 1e-5),
                                          ("layer_norm_last_two", (2, 3, 4), [3, 4], "both", 1e-5),
                                          ("layer_norm_no_affine", (2, 3, 4), [4], "none", 1e-5),
                                          ("layer_norm_weight_only", (3, 5), [5], "weight", 1e-5),
                                          ("layer_norm_eps", (4, 1, 5), [5], "both", 1e-3),
                                          ("layer_norm_empty_batch", (0, 5), [5], "both", 1e-5)):
        def make(shape=shape, norm=norm, affine=affine):
            ins = [2 * randn(*shape) + 1]
            if affine in ("weight", "both"):
                ins.append(1 + 0.5 * randn(*norm))
            if affine == "both":
                ins.append(randn(*norm))
            return ins
        g.case(cid, "layer_norm", {"normalized_shape": norm, "eps": eps}, make,
               lambda x, *wb, norm=norm, eps=eps: F.layer_norm(x, norm, *wb, eps=eps))

    # torch 1.13 has no rms_norm; this is the formula torch.nn.functional.rms_norm later adopted.
    def rms_norm(x, *w, norm, eps):
        dims = tuple(range(-len(norm), 0))
        y = x * torch.rsqrt(x.pow(2).mean(dims, keepdim=True) + eps)
        return y * w[0] if w else y

    for cid, shape, norm, has_weight, eps in (("rms_norm_last", (3, 5), [5], True, 1e-6),
                                              ("rms_norm_last_two", (2, 3, 4), [3, 4], True, 1e-6),
                                              ("rms_norm_no_weight", (2, 3, 4), [4], False, 1e-6),
                                              ("rms_norm_eps", (4, 1, 5), [5], True, 1e-2),
                                              ("rms_norm_empty_batch", (0, 5), [5], True, 1e-6)):
        make = lambda shape=shape, norm=norm, w=has_weight: [randn(*shape)] + ([1 + 0.5 * randn(*norm)] if w else [])
        g.case(cid, "rms_norm", {"normalized_shape": norm, "eps": eps, "has_weight": has_weight}, make,
               lambda x, *w, norm=norm, eps=eps: rms_norm(x, *w, norm=norm, eps=eps))
    return g


def nn():
    g = Group("nn")
    for cid, ids, padding_idx in (("embedding_2d_ids", (2, 3), None), ("embedding_1d_ids", (5,), None),
                                  ("embedding_padding_idx", (3, 4), 0), ("embedding_0d_id", (), None),
                                  ("embedding_empty_ids", (0,), None)):
        def make(ids=ids, padding_idx=padding_idx):
            i = ints(7, *ids)
            if padding_idx is not None:
                i.view(-1)[::3] = padding_idx  # make sure the padding row is looked up (and gets no gradient)
            return [i, randn(7, 4)]
        g.case(cid, "embedding", {"padding_idx": padding_idx}, make,
               lambda i, w, p=padding_idx: F.embedding(i, w, padding_idx=p))

    def targets(classes, *shape, ignore=None):
        t = ints(classes, *shape)
        if ignore is not None:
            t.view(-1)[1::3] = ignore
        return t

    for cid, logits, reduction, ignore_index, ignored, smoothing in (
            ("cross_entropy_mean", (4, 5), "mean", -100, False, 0.0),
            ("cross_entropy_sum", (4, 5), "sum", -100, False, 0.0),
            ("cross_entropy_none", (4, 5), "none", -100, False, 0.0),
            ("cross_entropy_kdim_mean", (2, 5, 3), "mean", -100, False, 0.0),
            ("cross_entropy_kdim_none", (2, 5, 3), "none", -100, False, 0.0),
            ("cross_entropy_ignore_default", (6, 5), "mean", -100, True, 0.0),
            ("cross_entropy_ignore_custom_sum", (6, 5), "sum", 2, True, 0.0),
            ("cross_entropy_smoothing_mean", (4, 5), "mean", -100, False, 0.1),
            ("cross_entropy_smoothing_ignore_none", (6, 5), "none", -100, True, 0.1),
            ("cross_entropy_smoothing_ignore_mean", (6, 5), "mean", -100, True, 0.1),
            ("cross_entropy_kdim_smoothing_sum", (2, 5, 3), "sum", -100, False, 0.1),
            ("cross_entropy_empty_sum", (0, 5), "sum", -100, False, 0.0)):
        tshape = (logits[0],) + logits[2:]
        make = lambda logits=logits, tshape=tshape, ig=(ignore_index if ignored else None): [2 * randn(*logits), targets(logits[1], *tshape, ignore=ig)]
        kw = {"ignore_index": ignore_index, "reduction": reduction, "label_smoothing": smoothing}
        g.case(cid, "cross_entropy", kw, make,
               lambda x, t, r=reduction, i=ignore_index, s=smoothing: F.cross_entropy(x, t, ignore_index=i, reduction=r, label_smoothing=s))

    # Dropout is random; only its identity cases (eval mode, or p = 0) are fixtures.
    for cid, shape, p, training in (("dropout_eval_2d", (3, 4), 0.5, False), ("dropout_eval_size1", (2, 1, 5), 0.5, False),
                                    ("dropout_eval_empty", (0, 3), 0.5, False), ("dropout_p0_training", (3, 4), 0.0, True)):
        g.case(cid, "dropout", {"p": p, "training": training}, lambda s=shape: [randn(*s)],
               lambda x, p=p, t=training: F.dropout(x, p=p, training=t))
    return g


def index():
    g = Group("index")
    causal = lambda t: torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
    for cid, make, value, kw_value in (
            ("masked_fill_same", lambda: [randn(3, 4), mask(3, 4)], -1e9, -1e9),
            ("masked_fill_broadcast", lambda: [randn(2, 3, 4), mask(3, 1)], -1e9, -1e9),
            ("masked_fill_causal_neg_inf", lambda: [randn(2, 2, 4, 4), causal(4)], float("-inf"), "-inf"),
            ("masked_fill_size1_neg_inf", lambda: [randn(3, 1, 5), mask(1, 1, 5)], float("-inf"), "-inf"),
            ("masked_fill_empty", lambda: [randn(0, 4), mask(1, 4)], -1e9, -1e9)):
        g.case(cid, "masked_fill", {"value": kw_value}, make, lambda x, m, v=value: x.masked_fill(m, v))

    for cid, make in (("where_same", lambda: [mask(3, 4), randn(3, 4), randn(3, 4)]),
                      ("where_broadcast", lambda: [mask(3, 1), randn(1, 4), randn(2, 3, 4)]),
                      ("where_0d_other", lambda: [mask(2, 3), randn(2, 3), randn()]),
                      ("where_empty", lambda: [mask(0, 3), randn(0, 3), randn(1, 3)])):
        g.case(cid, "where", {}, make, torch.where)

    for cid, shapes, dim in (("cat_dim0_two", [(2, 3), (4, 3)], 0), ("cat_dim1_three", [(2, 3), (2, 1), (2, 4)], 1),
                             ("cat_dim_neg_3d", [(2, 3, 1), (2, 3, 2)], -1), ("cat_dim1_3d_three", [(2, 1, 3), (2, 2, 3), (2, 1, 3)], 1),
                             ("cat_with_empty", [(2, 3), (0, 3), (1, 3)], 0)):
        g.case(cid, "cat", {"dim": dim}, lambda s=shapes: [randn(*x) for x in s], lambda *xs, d=dim: torch.cat(xs, dim=d))

    for cid, shape, n, dim in (("stack_dim0_two", (3, 4), 2, 0), ("stack_dim1_three", (2, 3), 3, 1),
                               ("stack_dim_last", (2, 3), 2, 2), ("stack_dim_neg", (2, 1), 3, -1), ("stack_empty", (0, 3), 2, 0)):
        g.case(cid, "stack", {"dim": dim}, lambda s=shape, n=n: [randn(*s) for _ in range(n)], lambda *xs, d=dim: torch.stack(xs, dim=d))

    for cid, shape, split, dim in (("split_size_dim0", (5, 3), 2, 0), ("split_sections_dim1", (2, 6), [1, 3, 2], 1),
                                   ("split_size_dim_neg", (2, 3, 5), 2, -1), ("split_sections_with_zero", (5, 2), [2, 0, 3], 0),
                                   ("split_size_exact", (4, 3), 2, 0)):
        g.case(cid, "split", {"split_size_or_sections": split, "dim": dim}, lambda s=shape: [randn(*s)],
               lambda x, sp=split, d=dim: torch.split(x, sp, dim=d))

    for cid, x, idx_shape, high, dim in (("gather_dim0", (3, 4), (2, 4), 3, 0), ("gather_dim_neg", (3, 5), (3, 4), 5, -1),
                                         ("gather_dim1_3d_smaller_index", (2, 4, 3), (2, 2, 2), 4, 1),
                                         ("gather_empty_index", (3, 4), (0, 4), 3, 0)):
        g.case(cid, "gather", {"dim": dim}, lambda x=x, s=idx_shape, h=high: [randn(*x), ints(h, *s)],
               lambda x, i, d=dim: torch.gather(x, d, i))

    for cid, x, idx, dim in (("index_select_dim0_repeats", (5, 3), [4, 0, 4, 2], 0), ("index_select_dim1_repeats", (3, 6), [5, 5, 1], 1),
                             ("index_select_3d_dim1", (2, 4, 3), [3, 1], 1), ("index_select_empty_index", (5, 3), [], 0)):
        g.case(cid, "index_select", {"dim": dim}, lambda x=x, idx=idx: [randn(*x), torch.tensor(idx, dtype=torch.int64)],
               lambda x, i, d=dim: torch.index_select(x, d, i))
    return g


def views():
    g = Group("views")
    for cid, shape, new in (("reshape_merge", (2, 3, 4), [6, 4]), ("reshape_infer", (2, 3, 4), [4, -1]),
                            ("reshape_size1", (3, 4), [2, 1, 6]), ("reshape_to_0d", (1, 1), []), ("reshape_empty", (0, 3), [3, 0])):
        g.case(cid, "reshape", {"shape": new}, lambda s=shape: [randn(*s)], lambda x, n=new: x.reshape(n))
    for cid, shape, new in (("view_merge", (2, 3, 4), [4, 6]), ("view_split", (6,), [2, 3]), ("view_size1", (2, 3), [3, 1, 2])):
        g.case(cid, "view", {"shape": new}, lambda s=shape: [randn(*s)], lambda x, n=new: x.view(n))
    for cid, shape, dims in (("permute_3d", (2, 3, 4), [2, 0, 1]), ("permute_2d", (3, 4), [1, 0]),
                             ("permute_neg", (2, 1, 3), [-1, 0, 1]), ("permute_empty", (0, 2, 3), [2, 0, 1])):
        g.case(cid, "permute", {"dims": dims}, lambda s=shape: [randn(*s)], lambda x, d=dims: x.permute(d))
    for cid, shape, d0, d1 in (("transpose_2d", (3, 4), 0, 1), ("transpose_neg", (2, 3, 4), -1, 0), ("transpose_size1", (2, 1, 3), 1, 2)):
        g.case(cid, "transpose", {"dim0": d0, "dim1": d1}, lambda s=shape: [randn(*s)], lambda x, a=d0, b=d1: x.transpose(a, b))
    for cid, shape, dim, start, length in (("narrow_dim0", (5, 3), 0, 1, 3), ("narrow_dim1_end", (2, 6), 1, 4, 2),
                                           ("narrow_dim_neg_empty", (2, 3, 4), -1, 1, 0)):
        g.case(cid, "narrow", {"dim": dim, "start": start, "length": length}, lambda s=shape: [randn(*s)],
               lambda x, d=dim, st=start, n=length: x.narrow(d, st, n))
    for cid, shape, size in (("expand_size1", (3, 1), [3, 4]), ("expand_new_dims", (4,), [2, 3, 4]),
                             ("expand_keep_minus1", (3, 1), [-1, 5]), ("expand_to_empty", (1, 3), [0, 3])):
        g.case(cid, "expand", {"size": size}, lambda s=shape: [randn(*s)], lambda x, sz=size: x.expand(sz))
    for cid, shape, dim in (("unsqueeze_dim0", (2, 3), 0), ("unsqueeze_dim_neg", (2, 3), -1), ("unsqueeze_middle", (2, 3), 1)):
        g.case(cid, "unsqueeze", {"dim": dim}, lambda s=shape: [randn(*s)], lambda x, d=dim: x.unsqueeze(d))
    g.case("squeeze_all", "squeeze", {}, lambda: [randn(1, 3, 1, 2)], lambda x: x.squeeze())
    g.case("squeeze_dim1", "squeeze", {"dim": 1}, lambda: [randn(2, 1, 3)], lambda x: x.squeeze(1))
    g.case("squeeze_non_size1_noop", "squeeze", {"dim": 0}, lambda: [randn(2, 3)], lambda x: x.squeeze(0))
    g.case("squeeze_dim_neg", "squeeze", {"dim": -1}, lambda: [randn(3, 1)], lambda x: x.squeeze(-1))
    # "contiguous" fixtures: x.transpose(dim0, dim1).contiguous(), the copy that follows a transpose.
    for cid, shape, d0, d1 in (("contiguous_2d", (3, 4), 0, 1), ("contiguous_3d_inner", (2, 3, 4), 1, 2),
                               ("contiguous_3d_outer", (2, 3, 4), 0, 2)):
        g.case(cid, "contiguous", {"dim0": d0, "dim1": d1}, lambda s=shape: [randn(*s)],
               lambda x, a=d0, b=d1: x.transpose(a, b).contiguous())
    for cid, shape, start, end in (("flatten_all", (2, 3, 4), 0, -1), ("flatten_from1", (2, 3, 4), 1, -1),
                                   ("flatten_first_two", (2, 3, 4), 0, 1), ("flatten_empty", (2, 0, 3), 1, 2)):
        g.case(cid, "flatten", {"start_dim": start, "end_dim": end}, lambda s=shape: [randn(*s)],
               lambda x, a=start, b=end: torch.flatten(x, a, b))
    return g


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    os.makedirs(FIXTURES, exist_ok=True)
    for build in (pointwise, reduce, matmul, softmax, nn, index, views):
        g = build()
        n = g.write()
        print(f"{g.name}.safetensors: {n} cases, {len(g.tensors)} tensors", file=sys.stderr)
    import modules   # attention modules and positional encodings, fixtures/modules/ (it imports this file's writer)
    for build in modules.GROUPS:
        g = build()
        n = g.write()
        print(f"modules/{g.name}.safetensors: {n} cases, {len(g.tensors)} tensors", file=sys.stderr)
    import transformer_fixtures   # whole nn.TransformerEncoder / nn.Transformer stacks, fixtures/modules/transformer.safetensors
    for build in transformer_fixtures.GROUPS:
        g = build()
        n = g.write()
        print(f"modules/{g.name}.safetensors: {n} cases, {len(g.tensors)} tensors", file=sys.stderr)
    write_training("optim", optim_fixtures.build)
    import roundtrip   # torch's outputs for the committed models SharpAttention saved, fixtures/roundtrip/
    print(f"roundtrip/: {roundtrip.write_torch_outputs(FIXTURES)} torch outputs", file=sys.stderr)


def write_training(name, build):
    """Training fixtures (optimizers, schedules) are not op cases: they live in fixtures/training/ so the op
    conformance runner does not pick them up. build(put) stores tensors and returns the per-case metadata."""
    tensors = {}
    metadata = build(lambda key, t: tensors.__setitem__(key, to_bytes(t)))
    os.makedirs(os.path.join(FIXTURES, "training"), exist_ok=True)
    write_safetensors(os.path.join(FIXTURES, "training", name + ".safetensors"), tensors, metadata)
    print(f"training/{name}.safetensors: {len(metadata)} cases, {len(tensors)} tensors", file=sys.stderr)


if __name__ == "__main__":
    main()
