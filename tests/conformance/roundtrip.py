"""Loads a model saved by SharpAttention into torch and checks torch computes the same outputs.

    /usr/bin/python3 tests/conformance/roundtrip.py MODEL.safetensors IO.safetensors [--tolerance 1e-5]

MODEL is a plain state dict as SharpAttention's Module.SaveSafetensors writes it (PyTorch keys), whose metadata names
the torch module ("sharpattention.module": "TransformerEncoder" or "Transformer") and its constructor arguments
("sharpattention.init", JSON). IO holds the inputs SharpAttention ran (input/<forward argument>) and what it computed
(output/output). The script builds the torch module, load_state_dict(strict=True), runs it on the inputs and prints the
largest absolute difference; exit status 0 when it is within the tolerance, 1 when not, 77 when torch is missing.

generate.py also calls write_torch_outputs(): for every fixtures/roundtrip/<case>.model.safetensors written by
SharpAttention (committed; refresh them with the C# test, see README.md) it stores torch's output in
<case>.torch.safetensors, which the C# test compares against when Python or torch is not available.
"""

import glob
import json
import os
import struct
import sys

import pin_kernels  # noqa: F401  (before torch: the same kernels as the fixtures)

try:
    import numpy as np
    import torch
except ImportError:
    print("torch unavailable", file=sys.stderr)
    sys.exit(77)

NUMPY = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "BOOL": "|b1"}


def read_safetensors(path):
    """(tensors, metadata) of a safetensors file, for the dtypes SharpAttention writes."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {}) or {}
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[base + begin:base + end], dtype=NUMPY[info["dtype"]]).reshape(info["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors, metadata


def build(metadata):
    kind = metadata["sharpattention.module"]
    init = json.loads(metadata["sharpattention.init"])
    if kind == "TransformerEncoder":
        layer = torch.nn.TransformerEncoderLayer(init["d_model"], init["nhead"], init["dim_feedforward"], init["dropout"],
                                                 init["activation"], init["layer_norm_eps"], init["batch_first"], init["norm_first"])
        norm = torch.nn.LayerNorm(init["d_model"], eps=init["layer_norm_eps"]) if init["final_norm"] else None
        return torch.nn.TransformerEncoder(layer, init["num_layers"], norm, enable_nested_tensor=False)
    if kind == "Transformer":
        return torch.nn.Transformer(init["d_model"], init["nhead"], init["num_encoder_layers"], init["num_decoder_layers"],
                                    init["dim_feedforward"], init["dropout"], init["activation"], layer_norm_eps=init["layer_norm_eps"],
                                    batch_first=init["batch_first"], norm_first=init["norm_first"])
    raise ValueError(f"unknown module {kind}")


def torch_output(model_path, io_path):
    """(torch's output, SharpAttention's output) for one saved model and its inputs."""
    state, metadata = read_safetensors(model_path)
    io, _ = read_safetensors(io_path)
    torch.manual_seed(0)
    model = build(metadata)
    model.load_state_dict(state, strict=True)
    # Training mode (dropout is 0) keeps torch 1.13 off its inference fast path, which zeroes padded positions.
    inputs = {k.split("/", 1)[1]: v for k, v in io.items() if k.startswith("input/")}
    with torch.no_grad():
        if metadata["sharpattention.module"] == "TransformerEncoder":
            out = model(inputs["src"], mask=inputs.get("src_mask"), src_key_padding_mask=inputs.get("src_key_padding_mask"))
        else:
            out = model(inputs["src"], inputs["tgt"], src_mask=inputs.get("src_mask"), tgt_mask=inputs.get("tgt_mask"),
                        memory_mask=inputs.get("memory_mask"), src_key_padding_mask=inputs.get("src_key_padding_mask"),
                        tgt_key_padding_mask=inputs.get("tgt_key_padding_mask"),
                        memory_key_padding_mask=inputs.get("memory_key_padding_mask"))
    return out, io["output/output"]


def write_torch_outputs(fixtures):
    """For each committed <case>.model.safetensors + <case>.io.safetensors, write torch's output to <case>.torch.safetensors."""
    from generate import to_bytes, write_safetensors
    count = 0
    for model_path in sorted(glob.glob(os.path.join(fixtures, "roundtrip", "*.model.safetensors"))):
        case = model_path[: -len(".model.safetensors")]
        out, _ = torch_output(model_path, case + ".io.safetensors")
        write_safetensors(case + ".torch.safetensors", {"output/output": to_bytes(out)},
                          {"module": read_safetensors(model_path)[1]["sharpattention.module"]})
        count += 1
    return count


def main(argv):
    tolerance = 1e-5
    args = list(argv)
    if "--tolerance" in args:
        i = args.index("--tolerance")
        tolerance = float(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    out, ours = torch_output(args[0], args[1])
    if out.shape != ours.shape:
        print(f"shape: torch {tuple(out.shape)}, SharpAttention {tuple(ours.shape)}")
        return 1
    err = (out - ours).abs().max().item() if out.numel() else 0.0
    print(f"max abs error {err:.3e} over {out.numel()} outputs (tolerance {tolerance:g})")
    return 0 if err <= tolerance else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
