"""Peak resident memory of PyTorch training the G2P recipe's network, beside `attn train g2p`'s (README, Memory).

The same 4.0 M-parameter pre-LN Transformer encoder-decoder as the quick/full recipe (3 + 3 layers, d_model 256,
4 heads, feed-forward 512, no dropout, ReLU, 49 graphemes / 43 phonemes incl. specials: 3,989,291 parameters as in C#), label-smoothed (0.1)
cross-entropy with teacher forcing, AdamW (β 0.9 / 0.98, weight decay 0.01), gradient clipping at 1, batches of 64
words — on random words whose lengths follow cmudict's (letters 2..18, pronunciations about as long), bucketed by
length as the C# loader does. Then a no-grad greedy decode of 256 words × beam 5 rows, as `attn eval` batches,
recomputing the prefix (torch.nn has no KV cache). Prints `<name> <value> <unit>` lines; the peak is the kernel's
ru_maxrss of this process (what `/usr/bin/time -v` calls maximum resident set size).

    /usr/bin/python3 bench/torch/g2p_memory.py [--steps 300] [--threads N]
Debian's python3-torch (1.13, OpenBLAS): apt-get install -y python3-torch libopenblas0-pthread
"""

import argparse
import os
import random
import resource
import sys

import torch
from torch import nn

LETTERS, PHONEMES, PAD, BOS, EOS = 49, 43, 0, 1, 2


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class G2p(nn.Module):
    def __init__(self):
        super().__init__()
        d = 256
        self.src = nn.Embedding(LETTERS, d, padding_idx=PAD)
        self.tgt = nn.Embedding(PHONEMES, d, padding_idx=PAD)
        self.transformer = nn.Transformer(d, 4, 3, 3, 512, dropout=0.0, batch_first=True, norm_first=True)
        self.out = nn.Linear(d, PHONEMES)
        pos = torch.arange(64).unsqueeze(1) * torch.exp(torch.arange(0, d, 2) * (-torch.log(torch.tensor(10000.0)) / d))
        self.register_buffer("pe", torch.cat([pos.sin(), pos.cos()], 1).view(64, 2, d // 2).transpose(1, 2).reshape(64, d))
        self.scale = d ** 0.5

    def embed(self, emb, ids):
        return emb(ids) * self.scale + self.pe[: ids.shape[1]]

    def forward(self, src, tgt_in):
        t = tgt_in.shape[1]
        causal = torch.triu(torch.full((t, t), float("-inf")), 1)
        h = self.transformer(self.embed(self.src, src), self.embed(self.tgt, tgt_in), tgt_mask=causal,
                             src_key_padding_mask=src == PAD, tgt_key_padding_mask=tgt_in == PAD,
                             memory_key_padding_mask=src == PAD)
        return self.out(h)


def random_words(n, rng):
    """(letters, phonemes) id lists; lengths roughly cmudict's (mean ~7.5 letters)."""
    words = []
    for _ in range(n):
        letters = max(2, min(18, int(rng.gauss(7.5, 2.5))))
        phones = max(1, min(20, letters + rng.randint(-2, 1)))
        words.append(([rng.randrange(3, LETTERS) for _ in range(letters)], [rng.randrange(3, PHONEMES) for _ in range(phones)]))
    return words


def pad(rows):
    width = max(len(r) for r in rows)
    return torch.tensor([r + [PAD] * (width - len(r)) for r in rows])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    torch.manual_seed(1234)
    torch.set_num_threads(args.threads)
    rng = random.Random(1234)
    model = G2p()
    print(f"g2p_torch_parameters {sum(p.numel() for p in model.parameters())} params")
    print(f"g2p_torch_threads {torch.get_num_threads()} threads")
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.98), eps=1e-9, weight_decay=0.01)
    loss_fn = nn.CrossEntropyLoss(ignore_index=PAD, label_smoothing=0.1)
    words = sorted(random_words(64 * args.steps, rng), key=lambda w: len(w[0]) + len(w[1]))
    batches = [words[i:i + 64] for i in range(0, len(words), 64)]
    rng.shuffle(batches)
    print(f"g2p_torch_peak_rss_before_training {peak_mb():.0f} MB")
    model.train()
    for batch in batches[: args.steps]:
        src = pad([w[0] for w in batch])
        tgt = pad([[BOS] + w[1] + [EOS] for w in batch])
        logits = model(src, tgt[:, :-1])
        loss = loss_fn(logits.reshape(-1, PHONEMES), tgt[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    print(f"g2p_torch_train_loss {loss.item():.4f} nats")
    print(f"g2p_torch_peak_rss_train {peak_mb():.0f} MB")
    # Decoding as `attn eval --beam 5` batches it: 256 of the longest words, 5 rows each, 2·letters + 8 steps.
    model.eval()
    longest = sorted(random_words(4096, rng), key=lambda w: -len(w[0]))[:256]
    src = pad([w[0] for w in longest]).repeat_interleave(5, 0)
    with torch.no_grad():
        memory = model.transformer.encoder(model.embed(model.src, src), src_key_padding_mask=src == PAD)
        ys = torch.full((src.shape[0], 1), BOS)
        for _ in range(2 * src.shape[1] + 8):
            t = ys.shape[1]
            causal = torch.triu(torch.full((t, t), float("-inf")), 1)
            h = model.transformer.decoder(model.embed(model.tgt, ys), memory, tgt_mask=causal, memory_key_padding_mask=src == PAD)
            ys = torch.cat([ys, model.out(h[:, -1]).argmax(-1, keepdim=True)], 1)
    print(f"g2p_torch_peak_rss_decode {peak_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
