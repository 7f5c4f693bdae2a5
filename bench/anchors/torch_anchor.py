"""OpenBLAS-through-PyTorch anchor for SharpAttention's benchmarks (shared/BENCHMARKS.md).

Run with Debian's interpreter, whose torch 1.13 calls OpenBLAS for its BLAS:
    /usr/bin/python3 bench/anchors/torch_anchor.py <gemm|attention|train|decode|peak|classify|all> [--quick] [--threads N]
Prints one `<name> <value> <unit>` line per figure, after a `# torch anchor: …` line naming the BLAS kernel that ran.
Timing mirrors the C# side (Timing.cs, RunPlan.cs) so the ratios compare like with like. Exit code 3 means torch is
missing; the C# side then prints `<name> unavailable`.

The anchor is torch at its strongest on this CPU: OpenBLAS's SkylakeX (AVX-512) kernel where the CPU has AVX-512,
its Haswell (AVX2) kernel elsewhere, whatever OPENBLAS_CORETYPE the environment holds. Debian's OpenBLAS 0.3.21
otherwise follows that variable (the shared Zen 5 machines export OPENBLAS_CORETYPE=Haswell, which is how their
runs got the AVX2 kernel) or its own detection (Cooperlake on Zen 5, which shares SkylakeX's sgemm). Measured on a
Zen 5 (family 26, 2 threads, shared machine): sgemm at 512 / 1024 / 2048 ran 222 / 232 / 235 GFLOPS with SkylakeX
against 135 / 120 / 121 with Haswell.
"""

import argparse
import ctypes
import math
import os
import sys
import time

TORCH_MISSING = 3

# Same names and shapes as GemmBench.cs, as (name, M, K, N, transA, transB); quick mode keeps the first. The `_tn`
# rows are the weight gradient of the named layer (tokens × in × out): dW (out, in) = dyᵀ·x, reducing over the tokens.
# A transposed operand is stored transposed and passed as a .t() view, so torch hands OpenBLAS the transpose
# flag (no copy), exactly as the C# side passes its flag.
GEMM_SHAPES = [
    ("gemm_256", 256, 256, 256, False, False),
    ("gemm_512", 512, 512, 512, False, False),
    ("gemm_1024", 1024, 1024, 1024, False, False),
    ("gemm_2048", 2048, 2048, 2048, False, False),
    ("gemm_t4096x256x1024", 4096, 256, 1024, False, False),
    ("gemm_t4096x1024x256", 4096, 1024, 256, False, False),
    ("gemm_t4096x256x8000", 4096, 256, 8000, False, False),
    ("gemm_t4096x256x1024_nt", 4096, 256, 1024, False, True),
    ("gemm_t4096x1024x256_nt", 4096, 1024, 256, False, True),
    ("gemm_t4096x256x8000_nt", 4096, 256, 8000, False, True),
    ("gemm_t4096x256x1024_tn", 1024, 4096, 256, True, False),
    ("gemm_t4096x1024x256_tn", 256, 4096, 1024, True, False),
    ("gemm_t4096x256x8000_tn", 8000, 4096, 256, True, False),
]

# Same shapes as AttentionBench.cs, as (N, causal), B = 1, H = 8, D = 64; quick mode keeps the first.
ATTENTION_SHAPES = [(512, False), (512, True), (2048, False), (2048, True), (8192, False), (8192, True)]
ATTENTION_B, ATTENTION_H, ATTENTION_D = 1, 8, 64

# (warm-ups, timed runs, minimum warm-up seconds, minimum seconds per timed run), as RunPlan.Full / .Quick: at least
# 2 warm-up runs and 2 s of warm-up, then the best of 5.
FULL_PLAN = (2, 5, 2.0, 0.05)
QUICK_PLAN = (1, 2, 0.0, 0.0)
# N = 8192 unfused takes ~15 s (forward) to ~1 min (forward + backward) per call: 1 warm-up and best of 2
# (AttentionBench.cs explains the reduced plans).
LONG_ATTENTION_N = 8192
LONG_PLAN = (1, 2, 0.0, 0.0)


def cpu_flags():
    """The flags /proc/cpuinfo lists for the first CPU (empty where there is no such file)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def strongest_openblas_kernel(flags):
    """OpenBLAS's fastest sgemm kernel this CPU runs: SkylakeX needs AVX-512 F/BW/DQ/VL/CD, Haswell AVX2 and FMA;
    None leaves OpenBLAS to choose (other architectures)."""
    if {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"} <= flags:
        return "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Haswell"
    return None


def describe(torch, threads):
    """`# torch anchor: …`: torch's version, the OpenBLAS kernel that actually runs (asked of the library torch loaded,
    through openblas_get_corename), ATen's vector capability and the thread count."""
    blas = "BLAS unknown"
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f if "libopenblas" in line})
        if paths:
            lib = ctypes.CDLL(paths[0])
            lib.openblas_get_corename.restype = lib.openblas_get_config.restype = ctypes.c_char_p
            version = lib.openblas_get_config().decode().split()[1]
            blas = f"OpenBLAS {version} kernel {lib.openblas_get_corename().decode()}"
    except (OSError, AttributeError, IndexError) as error:
        blas = f"OpenBLAS kernel unknown ({error})"
    capability = next((line.split(":", 1)[1].strip() for line in torch.__config__.show().splitlines()
                       if "CPU capability usage" in line), "unknown")
    return f"# torch anchor: torch {torch.__version__}, {blas}, ATen {capability}, {threads} threads"


def best_seconds(op, plan):
    """Seconds one call of op takes in the best timed run; short ops repeat within a run to outlast timer noise."""
    warmups, runs, min_warmup, min_run = plan
    warmup_start = time.perf_counter()
    last = float("inf")
    i = 0
    while i < warmups or time.perf_counter() - warmup_start < min_warmup:
        start = time.perf_counter()
        op()
        last = time.perf_counter() - start
        i += 1
    reps = 1 if last >= min_run else math.ceil(min_run / max(last, 1e-7))
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(reps):
            op()
        best = min(best, (time.perf_counter() - start) / reps)
    return best


def random_matrix(torch, generator, rows, cols, transposed):
    """A (rows, cols) matrix in [-1, 1), stored (cols, rows) and viewed through .t() when transposed."""
    if not transposed:
        return torch.rand(rows, cols, generator=generator) * 2 - 1
    x = (torch.rand(cols, rows, generator=generator) * 2 - 1).t()
    assert x.stride() == (1, rows), x.stride()
    return x


def gemm(torch, plan, quick):
    generator = torch.Generator().manual_seed(1234)
    for name, m, k, n, trans_a, trans_b in GEMM_SHAPES[:1] if quick else GEMM_SHAPES:
        a = random_matrix(torch, generator, m, k, trans_a)  # (M, K)
        b = random_matrix(torch, generator, k, n, trans_b)  # (K, N)
        c = torch.empty(m, n)  # (M, N), preallocated like the C# side
        seconds = best_seconds(lambda: torch.mm(a, b, out=c), plan)
        print(f"{name}_openblas {2 * m * n * k / seconds / 1e9:.1f} GFLOPS", flush=True)


def attention_unfused(torch, q, k, v, causal_mask):
    """softmax(Q·Kᵀ/√D)·V as two matmuls and a softmax; the scale is folded into q (an (N, D) pass, not an (N, N)
    one) and the causal mask filled in place: the cheapest unfused form, so the anchor is not handicapped."""
    scores = torch.matmul(q * (1.0 / math.sqrt(q.size(-1))), k.transpose(-2, -1))  # (B, H, N, N)
    if causal_mask is not None:
        scores.masked_fill_(causal_mask, float("-inf"))
    return torch.matmul(torch.softmax(scores, dim=-1), v)  # (B, H, N, D)


def check_attention(torch, q, k, v, o, causal):
    """Compares a few output rows with a float64 computation of just those rows, so a wrong mask or layout
    cannot post a figure."""
    n = q.size(2)
    for h, i in [(0, 0), (ATTENTION_H - 1, n - 1), (3, n // 2 + 1)]:
        keys = i + 1 if causal else n
        scores = (q[0, h, i].double() @ k[0, h, :keys].double().T) / math.sqrt(q.size(-1))
        want = torch.softmax(scores, dim=-1) @ v[0, h, :keys].double()
        if not torch.allclose(o[0, h, i].double(), want, rtol=1e-4, atol=1e-5):
            raise AssertionError(f"torch anchor: attention n={n} causal={causal}: row ({h}, {i}) differs from float64")


def attention(torch, plan, quick, only):
    shapes = ATTENTION_SHAPES[:1] if quick else ATTENTION_SHAPES
    if only is not None:
        shapes = [(n, causal) for n, causal in ATTENTION_SHAPES if f"n{n}" + ("_causal" if causal else "") == only]
        if not shapes:
            raise SystemExit(f"torch_anchor: no attention shape {only}")
    for n, causal in shapes:
        generator = torch.Generator().manual_seed(4321 + n)
        shape_plan = LONG_PLAN if n >= LONG_ATTENTION_N and not quick else plan
        shape = (ATTENTION_B, ATTENTION_H, n, ATTENTION_D)  # (B, H, N, D)
        q, k, v, grad_output = (torch.randn(shape, generator=generator) for _ in range(4))
        mask = torch.ones(n, n, dtype=torch.bool).triu(1) if causal else None  # True above the diagonal: masked
        suffix = f"n{n}" + ("_causal" if causal else "")
        forward_flops = 4 * ATTENTION_B * ATTENTION_H * n * n * ATTENTION_D / (2 if causal else 1)

        with torch.no_grad():
            check_attention(torch, q, k, v, attention_unfused(torch, q, k, v, mask), causal)
            seconds = best_seconds(lambda: attention_unfused(torch, q, k, v, mask), shape_plan)
        print(f"attn_fwd_{suffix}_torch {forward_flops / seconds / 1e9:.1f} GFLOPS", flush=True)

        leaves = [t.requires_grad_() for t in (q, k, v)]

        def forward_backward():
            # Gradients cleared each call, as AttentionTarget.cs does: each call computes them afresh.
            for t in leaves:
                t.grad = None
            attention_unfused(torch, q, k, v, mask).backward(grad_output)

        seconds = best_seconds(forward_backward, shape_plan)
        print(f"attn_fwdbwd_{suffix}_torch {3.5 * forward_flops / seconds / 1e9:.1f} GFLOPS", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("group", choices=["gemm", "attention", "train", "decode", "peak", "classify", "all"])
    parser.add_argument("--quick", action="store_true", help="smoke run of seconds; figures mean nothing")
    parser.add_argument("--shape", help="attention: only this shape, e.g. n2048_causal (AttentionBench.cs runs them one by one)")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)), help="default: all cores")
    args = parser.parse_args()

    # OpenBLAS and OpenMP fix their thread pools and kernel when torch loads, so they are set before the import.
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    kernel = strongest_openblas_kernel(cpu_flags())
    if kernel is not None:
        os.environ["OPENBLAS_CORETYPE"] = kernel
    try:
        import torch
    except ImportError as error:
        print(f"torch_anchor: torch unavailable ({error})", file=sys.stderr)
        sys.exit(TORCH_MISSING)
    torch.set_num_threads(args.threads)
    print(describe(torch, args.threads), flush=True)

    plan = QUICK_PLAN if args.quick else FULL_PLAN
    if args.group in ("gemm", "all"):
        gemm(torch, plan, args.quick)
    if args.group in ("attention", "all"):
        attention(torch, plan, args.quick, args.shape)
    if args.group in ("train", "all"):
        import torch_train
        torch_train.train_step(torch, plan, best_seconds)
    if args.group in ("decode", "all"):
        import torch_decode
        torch_decode.decode_greedy(torch, plan, best_seconds, args.quick)
    if args.group in ("classify", "all"):
        import torch_classify
        torch_classify.classify(torch, plan, best_seconds)


if __name__ == "__main__":
    main()
