"""train_step anchor: the reference decoder-only model of shared/BENCHMARKS.md in torch.nn (Debian's torch 1.13 +
OpenBLAS), one AdamW step on a (32, 128) batch, timed like the C# side. Imported by torch_anchor.py."""

import math

# The reference model, as TrainStepBench.cs builds it: d_model 256, 4 heads, d_ff 1024, 4 layers, pre-LN, GELU,
# learned positions, tied head, T = 128, B = 32, vocabulary 8000, causal, AdamW, dropout 0.1.
VOCAB, D_MODEL, HEADS, D_FF, LAYERS, T, B, DROPOUT = 8000, 256, 4, 1024, 4, 128, 32, 0.1


def build(torch):
    nn = torch.nn

    class Reference(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(VOCAB, D_MODEL)
            self.pos = nn.Embedding(T, D_MODEL)
            self.drop = nn.Dropout(DROPOUT)
            layer = nn.TransformerEncoderLayer(D_MODEL, HEADS, D_FF, DROPOUT, activation="gelu", batch_first=True, norm_first=True)
            self.layers = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(D_MODEL)
            self.head = nn.Linear(D_MODEL, VOCAB, bias=False)
            self.head.weight = self.tok.weight
            self.register_buffer("mask", torch.triu(torch.full((T, T), float("-inf")), diagonal=1))

        def forward(self, ids):
            x = self.drop(self.tok(ids) + self.pos.weight[: ids.shape[1]])
            x = self.layers(x, mask=self.mask)
            return self.head(self.norm(x))

    return Reference()


def train_step(torch, plan, best_seconds):
    torch.manual_seed(1)
    model = build(torch)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)
    ids = torch.randint(0, VOCAB, (B, T))
    targets = torch.randint(0, VOCAB, (B, T))

    def step():
        opt.zero_grad(set_to_none=True)
        logits = model(ids)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))
        loss.backward()
        opt.step()
        assert math.isfinite(loss.item())

    seconds = best_seconds(step, plan)
    print(f"train_step_torch {B * T / seconds:.1f} tok/s", flush=True)
