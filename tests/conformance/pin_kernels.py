"""Pins the CPU kernels torch 1.13 computes the fixtures with, so they come back byte for byte on any x86-64 machine.

Import it before torch (generate.py and roundtrip.py do, first thing). OpenBLAS (Debian's 0.3.21, DYNAMIC_ARCH) picks
its kernel by CPU — SkylakeX or Cooperlake on AVX-512 machines, Haswell or Zen on others — and each kernel blocks and
orders its sums differently, so matmul, the module and round-trip fixtures differed in the last bits between a Zen 4
and a Zen 5. ATen's own vectorised loops (softmax, reductions, …) likewise depend on the capability it picks.
Both are fixed to their AVX2 versions, which every x86-64 CPU of the last decade runs (Haswell, 2013; AMD Zen).
The variables are read once, when the libraries load, so they are set here, before `import torch`, and override any
value inherited from the environment.
"""

import os
import sys

OPENBLAS_KERNEL = "Haswell"
ATEN_CAPABILITY = "avx2"


try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next((set(line.split(":", 1)[1].split()) for line in cpuinfo if line.startswith("flags")), None)
except OSError:
    flags = None  # not Linux: nothing to check
if flags is not None and not {"avx2", "fma"} <= flags:
    # Forcing the Haswell kernel here would stop on an illegal instruction; the fixtures then will not match.
    print("pin_kernels: this CPU has no AVX2/FMA: fixtures computed with its own kernels will differ in the last bits",
          file=sys.stderr)
else:
    os.environ["OPENBLAS_CORETYPE"] = OPENBLAS_KERNEL
    os.environ["ATEN_CPU_CAPABILITY"] = ATEN_CAPABILITY
