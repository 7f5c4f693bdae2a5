"""classify_docs_per_s anchor: the spam recipe's classifier (ClassifyBench.cs) in torch.nn (Debian's torch 1.13 +
OpenBLAS): token + learned position embeddings, 2 pre-LN GELU encoder layers of 128 with 4 heads and feed-forward 256,
a final LayerNorm, attention pooling (a learned query, softmax of q·h / sqrt(d) over the tokens) and a linear head;
eval mode, no grad, 32 documents of 256 tokens. Imported by torch_anchor.py."""

VOCAB, D_MODEL, HEADS, D_FF, LAYERS, T, B, CLASSES = 4000, 128, 4, 256, 2, 256, 32, 2


def build(torch):
    nn = torch.nn

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(VOCAB, D_MODEL, padding_idx=1)
            self.pos = nn.Embedding(T, D_MODEL)
            layer = nn.TransformerEncoderLayer(D_MODEL, HEADS, D_FF, 0.1, activation="gelu", batch_first=True, norm_first=True)
            self.layers = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(D_MODEL)
            self.query = nn.Parameter(torch.randn(D_MODEL) * 0.02)
            self.head = nn.Linear(D_MODEL, CLASSES)

        def forward(self, ids):
            h = self.norm(self.layers(self.tok(ids) + self.pos.weight[: ids.shape[1]]))   # (B, T, E)
            weights = torch.softmax((h @ self.query) / D_MODEL ** 0.5, dim=-1)              # (B, T)
            return self.head((weights.unsqueeze(-1) * h).sum(1))                             # (B, C)

    return Classifier()


def classify(torch, plan, best_seconds):
    torch.manual_seed(1)
    model = build(torch)
    model.eval()
    ids = torch.randint(4, VOCAB, (B, T))

    def run():
        with torch.no_grad():
            assert model(ids).shape == (B, CLASSES)

    seconds = best_seconds(run, plan)
    print(f"classify_docs_per_s_torch {B / seconds:.1f} docs/s", flush=True)
