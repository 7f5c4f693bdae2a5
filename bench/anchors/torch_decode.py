"""decode_greedy anchors: greedy decoding with the reference decoder-only model of shared/BENCHMARKS.md in torch.nn
(Debian's torch 1.13 + OpenBLAS), batch 1, eval mode, two ways. Imported by torch_anchor.py.

- `decode_greedy_torch_cached` (the headline anchor): with a KV cache written as Hugging Face's GPT-2 does
  (transformers' GPT2Attention): per layer, project the new token's query, key and value, append key and value to the
  layer's cache with torch.cat, attend over the whole cache (matmul, scale, causal mask by torch.where, softmax,
  matmul) and project out. The weights are the model's own nn.TransformerEncoderLayer parameters.
- `decode_greedy_torch`: torch.nn's TransformerEncoder has no cache, so every new token recomputes the prefix.

Both must pick the same tokens (checked before timing), so the cached path is the same model.
"""

import torch_train

TOKENS, QUICK_TOKENS = 128, 16


def next_logits(model, ids):
    """Logits after the last position of ids (1, t): the whole prefix through every layer, the head on the last row."""
    t = ids.shape[1]
    x = model.tok(ids) + model.pos.weight[:t]
    x = model.layers(x, mask=model.mask[:t, :t])
    return model.head(model.norm(x[:, -1]))


def cached_attention(torch, attn, h, past, causal):
    """GPT2Attention.forward on h (B, t, C) with layer_past `past` ((B, H, S, D) key and value, or None): returns the
    attention output (B, t, C) and the new cache (B, H, S + t, D)."""
    F = torch.nn.functional
    b, t, c = h.shape
    heads = attn.num_heads
    d = c // heads
    query, key, value = F.linear(h, attn.in_proj_weight, attn.in_proj_bias).split(c, dim=2)  # c_attn: 3 × (B, t, C)
    query, key, value = (x.view(b, t, heads, d).permute(0, 2, 1, 3) for x in (query, key, value))  # _split_heads: (B, H, t, D)
    if past is not None:
        key = torch.cat((past[0], key), dim=-2)  # (B, H, S + t, D)
        value = torch.cat((past[1], value), dim=-2)
    # _attn: scores, scale by √D, causal mask by torch.where, softmax, weighted values.
    weights = torch.matmul(query, key.transpose(-1, -2))  # (B, H, t, S + t)
    weights = weights / torch.full([], value.size(-1) ** 0.5, dtype=weights.dtype)
    s = key.size(-2)
    mask_value = torch.full([], torch.finfo(weights.dtype).min, dtype=weights.dtype)
    weights = torch.where(causal[:, :, s - t:s, :s], weights, mask_value)
    weights = F.softmax(weights, dim=-1)
    out = torch.matmul(weights, value)  # (B, H, t, D)
    out = out.permute(0, 2, 1, 3).contiguous().view(b, t, c)  # _merge_heads: (B, t, C)
    return attn.out_proj(out), (key, value)


def cached_logits(torch, model, ids, cache, causal):
    """Logits after the last of ids (1, t), which follow the cache's positions; `cache` (a list with one entry per
    layer, None before the first call) is updated in place. Each layer is the model's pre-LN TransformerEncoderLayer:
    x + attention(norm1(x)), then x + linear2(gelu(linear1(norm2(x)))) (dropout is off in eval mode)."""
    F = torch.nn.functional
    past_length = 0 if cache[0] is None else cache[0][0].size(-2)
    x = model.tok(ids) + model.pos.weight[past_length:past_length + ids.shape[1]]  # (1, t, C)
    for i, layer in enumerate(model.layers.layers):
        a, cache[i] = cached_attention(torch, layer.self_attn, layer.norm1(x), cache[i], causal)
        x = x + a
        x = x + layer.linear2(F.gelu(layer.linear1(layer.norm2(x))))
    return model.head(model.norm(x[:, -1]))


def greedy(torch, tokens, step):
    """Greedy decoding from the prompt [1]: step(ids, new) gives the next logits; returns the ids (1, tokens + 1) and
    the logits that chose the last one (1, V)."""
    ids = torch.tensor([[1]])
    new = ids
    for _ in range(tokens):
        logits = step(ids, new)
        new = logits.argmax(-1, keepdim=True)  # (1, 1)
        ids = torch.cat([ids, new], 1)
    assert ids.shape[1] == tokens + 1
    return ids, logits


def decode_greedy(torch, plan, best_seconds, quick):
    torch.manual_seed(1)
    model = torch_train.build(torch)
    model.eval()
    tokens = QUICK_TOKENS if quick else TOKENS
    # GPT-2's `bias` buffer: True where a position may attend (B, H broadcast), sliced per call.
    causal = torch.tril(torch.ones(tokens + 1, tokens + 1, dtype=torch.bool)).view(1, 1, tokens + 1, tokens + 1)

    def generate_cached():
        cache = [None] * len(model.layers.layers)
        with torch.no_grad():
            return greedy(torch, tokens, lambda ids, new: cached_logits(torch, model, new, cache, causal))

    def generate_uncached():
        with torch.no_grad():
            return greedy(torch, tokens, lambda ids, new: next_logits(model, ids))

    check_same(torch, model, generate_cached(), generate_uncached())
    # The strongest configuration a user could run: a batch-1 decoding step is a chain of tiny ops, where torch's
    # threading can cost more than it gives, so the cached anchor is timed on one thread and on all and the faster
    # counts (which one is said).
    threads = torch.get_num_threads()
    timings = {}
    for n in sorted({1, threads}):
        torch.set_num_threads(n)
        timings[n] = best_seconds(generate_cached, plan)
    torch.set_num_threads(threads)
    fastest = min(timings, key=timings.get)
    print(f"# decode_greedy_torch_cached: " + ", ".join(f"{tokens / t:.1f} tok/s on {n} thread(s)" for n, t in timings.items())
          + f"; the faster ({fastest}) is the anchor", flush=True)
    print(f"decode_greedy_torch_cached {tokens / timings[fastest]:.1f} tok/s", flush=True)
    seconds = best_seconds(generate_uncached, plan)
    print(f"decode_greedy_torch {tokens / seconds:.1f} tok/s", flush=True)


def check_same(torch, model, cached, uncached):
    """The cached model must generate what the cache-less one does, and (as an untrained model may repeat one token)
    compute the same last logits, over every position. Rounding differs between the two (other matmul shapes), so a
    near tie may break the other way: a first difference is accepted only where the cache-less logits of the two
    candidates lie within 1e-4, and the check stops there (the sequences part ways after it)."""
    (cached, cached_last), (uncached, uncached_last) = cached, uncached
    differ = (cached != uncached).nonzero()
    if len(differ) == 0:
        if not torch.allclose(cached_last, uncached_last, rtol=1e-4, atol=1e-4):
            raise AssertionError("torch_decode: the KV-cached model's last logits differ from the cache-less model's by "
                                 f"{(cached_last - uncached_last).abs().max().item():.3g}")
        return
    i = differ[0, 1].item()
    with torch.no_grad():
        logits = next_logits(model, uncached[:, :i])[0]
    gap = abs(logits[cached[0, i]] - logits[uncached[0, i]]).item()
    if not gap <= 1e-4:
        raise AssertionError(f"torch_decode: the KV-cached model chose token {cached[0, i].item()} at position {i}, "
                             f"the cache-less one {uncached[0, i].item()} (logits {gap:.3g} apart)")
