"""PyTorch fixtures for whole Transformer stacks, written by generate.py into fixtures/modules/transformer.safetensors.

Each case builds torch's own nn.TransformerEncoder or nn.Transformer (dropout 0), stores its parameters under their
state_dict keys, its inputs and masks, its output, a random upstream gradient and the gradient of every parameter
and float input (format in README.md, "Module fixtures"). Weight matrices keep torch's initialisation; the vectors torch
initialises to constants (attention biases 0, LayerNorm weights 1 and biases 0) get small random offsets so their use
in the forward pass is checked too.
"""

import torch

from modules import NamedGroup, causal_float_mask


def perturb_vectors(module):
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("in_proj_bias") or name.endswith("out_proj.bias"):
                p.normal_(0, 0.5)
            elif ".norm" in "." + name and p.dim() == 1:
                p.add_(torch.randn(p.shape) * 0.2)


def swap_in(module, params):
    """Run the module's own forward but differentiate with respect to the leaves in params: put them in its place."""
    for name, t in params.items():
        *path, attr = name.split(".")
        owner = module
        for part in path:
            owner = getattr(owner, part)
        delattr(owner, attr)
        setattr(owner, attr, t)


def suffix_padding(b, s):
    """(B, S) bool, True at padding: each row keeps a random prefix of at least one key, row 0 keeps all."""
    n = torch.randint(1, s + 1, (b,))
    n[0] = s
    return torch.arange(s)[None, :] >= n[:, None]


def scattered_padding(b, s):
    """(B, S) bool, True at random keys (never key 0): not a suffix, so no per-row key length exists."""
    m = torch.rand(b, s) < 0.3
    m[:, 0] = False
    return m


def random_mask(kind, l, s):
    """(L, S) attention mask in nn.MultiheadAttention's convention; key 0 always allowed."""
    blocked = torch.rand(l, s) < 0.3
    blocked[:, 0] = False
    if kind == "bool":
        return blocked
    return (0.5 * torch.randn(l, s)).masked_fill(blocked, float("-inf"))


def seq(t, b, e, batch_first):
    return torch.randn(b, t, e) if batch_first else torch.randn(t, b, e)


def encoder(g, cid, d=16, nhead=2, ff=32, layers=2, activation="relu", norm_first=False, final_norm=False, batch_first=False,
            s=7, b=3, kpm=None, mask=None):
    """nn.TransformerEncoder(nn.TransformerEncoderLayer(...), layers, norm). kpm: None, "suffix", "scattered";
    mask: None, "causal" (generate_square_subsequent_mask), "bool", "float"."""
    init = {"d_model": d, "nhead": nhead, "dim_feedforward": ff, "dropout": 0.0, "activation": activation, "layer_norm_eps": 1e-5,
            "batch_first": batch_first, "norm_first": norm_first, "num_layers": layers, "final_norm": final_norm}
    meta = {"module": "TransformerEncoder", "init": init, "forward": {"is_causal": mask == "causal"}}

    def build():
        layer = torch.nn.TransformerEncoderLayer(d, nhead, ff, 0.0, activation, 1e-5, batch_first, norm_first)
        m = torch.nn.TransformerEncoder(layer, layers, torch.nn.LayerNorm(d) if final_norm else None, enable_nested_tensor=False)
        # The deep copies start equal; redraw so each layer's gradients differ (torch's nn.Transformer does the same).
        for p in m.parameters():
            if p.dim() > 1:
                torch.nn.init.xavier_uniform_(p)
        perturb_vectors(m)
        meta["state_dict_keys"] = list(m.state_dict().keys())
        inputs = {"src": seq(s, b, d, batch_first)}
        if kpm == "suffix":
            inputs["src_key_padding_mask"] = suffix_padding(b, s)
        elif kpm == "scattered":
            inputs["src_key_padding_mask"] = scattered_padding(b, s)
        if mask == "causal":
            inputs["src_mask"] = torch.nn.Transformer.generate_square_subsequent_mask(s)
        elif mask is not None:
            inputs["src_mask"] = random_mask(mask, s, s)

        def fn(p, x):
            swap_in(m, p)
            return {"output": m(x["src"], mask=x.get("src_mask"), src_key_padding_mask=x.get("src_key_padding_mask"))}

        return dict(m.named_parameters()), inputs, fn

    g.case(cid, meta, build)


def transformer(g, cid, d=16, nhead=2, ff=32, enc_layers=2, dec_layers=2, activation="relu", norm_first=False, batch_first=False,
                s=7, t=5, b=3, src_mask=None, tgt_mask="causal", memory_mask=None, src_kpm=None, tgt_kpm=None, memory_kpm=None):
    """nn.Transformer with the given masks (kinds as in encoder(); memory_kpm "src" reuses src_key_padding_mask)."""
    init = {"d_model": d, "nhead": nhead, "num_encoder_layers": enc_layers, "num_decoder_layers": dec_layers, "dim_feedforward": ff,
            "dropout": 0.0, "activation": activation, "layer_norm_eps": 1e-5, "batch_first": batch_first, "norm_first": norm_first}
    meta = {"module": "Transformer", "init": init, "forward": {"tgt_is_causal": tgt_mask == "causal", "src_is_causal": src_mask == "causal"}}

    def build():
        m = torch.nn.Transformer(d, nhead, enc_layers, dec_layers, ff, 0.0, activation, layer_norm_eps=1e-5,
                                 batch_first=batch_first, norm_first=norm_first)
        perturb_vectors(m)
        meta["state_dict_keys"] = list(m.state_dict().keys())
        inputs = {"src": seq(s, b, d, batch_first), "tgt": seq(t, b, d, batch_first)}
        for name, kind, length in (("src_mask", src_mask, (s, s)), ("tgt_mask", tgt_mask, (t, t)), ("memory_mask", memory_mask, (t, s))):
            if kind == "causal":
                inputs[name] = torch.nn.Transformer.generate_square_subsequent_mask(length[0])
            elif kind is not None:
                inputs[name] = random_mask(kind, *length)
        for name, kind, length in (("src_key_padding_mask", src_kpm, s), ("tgt_key_padding_mask", tgt_kpm, t),
                                   ("memory_key_padding_mask", memory_kpm, s)):
            if kind == "src":
                inputs[name] = inputs["src_key_padding_mask"].clone()
            elif kind == "suffix":
                inputs[name] = suffix_padding(b, length)
            elif kind == "scattered":
                inputs[name] = scattered_padding(b, length)

        def fn(p, x):
            swap_in(m, p)
            return {"output": m(x["src"], x["tgt"], src_mask=x.get("src_mask"), tgt_mask=x.get("tgt_mask"),
                                memory_mask=x.get("memory_mask"), src_key_padding_mask=x.get("src_key_padding_mask"),
                                tgt_key_padding_mask=x.get("tgt_key_padding_mask"),
                                memory_key_padding_mask=x.get("memory_key_padding_mask"))}

        return dict(m.named_parameters()), inputs, fn

    g.case(cid, meta, build)


def transformer_group():
    g = NamedGroup("transformer")
    encoder(g, "encoder_post_ln_relu_kpm_causal", kpm="suffix", mask="causal")
    encoder(g, "encoder_pre_ln_gelu_kpm_causal_norm_batch_first", activation="gelu", norm_first=True, final_norm=True, batch_first=True,
            kpm="suffix", mask="causal")
    encoder(g, "encoder_post_ln_gelu_kpm", activation="gelu", kpm="scattered")
    encoder(g, "encoder_pre_ln_relu_causal_norm", norm_first=True, final_norm=True, mask="causal")
    encoder(g, "encoder_post_ln_relu_d32_h4_float_mask", d=32, nhead=4, ff=64, s=9, b=2, kpm="suffix", mask="float", final_norm=True)
    encoder(g, "encoder_pre_ln_gelu_bool_mask_scattered_kpm", activation="gelu", norm_first=True, kpm="scattered", mask="bool")
    transformer(g, "transformer_post_ln_relu_all_masks", src_mask="float", memory_mask="bool", src_kpm="suffix", tgt_kpm="suffix",
                memory_kpm="src")
    transformer(g, "transformer_pre_ln_gelu_all_masks_batch_first", activation="gelu", norm_first=True, batch_first=True,
                src_mask="bool", memory_mask="float", src_kpm="scattered", tgt_kpm="suffix", memory_kpm="src")
    transformer(g, "transformer_post_ln_relu_causal_padding", src_kpm="suffix", tgt_kpm="suffix", memory_kpm="src")
    transformer(g, "transformer_pre_ln_relu_d32_h4", d=32, nhead=4, ff=64, norm_first=True, s=9, t=6, b=2, src_kpm="suffix",
                memory_kpm="src")
    return g


GROUPS = (transformer_group,)
