"""decode_greedy anchor: greedy decoding with the reference decoder-only model of shared/BENCHMARKS.md in torch.nn
(Debian's torch 1.13 + OpenBLAS), batch 1, eval mode, without a KV cache: torch.nn has none, so every new token
recomputes the whole prefix, as the model would run there. Imported by torch_anchor.py."""

import torch_train

TOKENS, QUICK_TOKENS = 128, 16


def next_logits(model, ids):
    """Logits after the last position of ids (1, t): the whole prefix through every layer, the head on the last row."""
    t = ids.shape[1]
    x = model.tok(ids) + model.pos.weight[:t]
    x = model.layers(x, mask=model.mask[:t, :t])
    return model.head(model.norm(x[:, -1]))


def decode_greedy(torch, plan, best_seconds, quick):
    torch.manual_seed(1)
    model = torch_train.build(torch)
    model.eval()
    tokens = QUICK_TOKENS if quick else TOKENS
    prompt = torch.tensor([[1]])

    def generate():
        with torch.no_grad():
            ids = prompt
            for _ in range(tokens):
                token = next_logits(model, ids).argmax(-1, keepdim=True)
                ids = torch.cat([ids, token], 1)
        assert ids.shape[1] == tokens + 1

    seconds = best_seconds(generate, plan)
    print(f"decode_greedy_torch {tokens / seconds:.1f} tok/s", flush=True)
