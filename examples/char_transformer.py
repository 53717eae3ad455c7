"""A small character-level transformer that learns to write like Shakespeare's sonnets.

Run:  python examples/char_transformer.py           (add --steps N, --device cpu|cuda)
Plain PyTorch code: only the import differs. The text (ten sonnets, public domain) ships in
examples/data/sonnets.txt. Every few hundred steps the model prints a sample it writes from a
prompt, so you can watch it go from noise to words to lines.
"""
import argparse
import math
import os
import time

import ferrotorch as torch
from ferrotorch import nn
from ferrotorch.nn import functional as F

TEXT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "sonnets.txt")


class CharTransformer(nn.Module):
    """Token + position embeddings, a causal TransformerEncoder, and a linear head over characters."""

    def __init__(self, vocab, block, d_model=96, nhead=4, layers=2, dropout=0.1):
        super().__init__()
        self.block = block
        self.tok = nn.Embedding(vocab, d_model)
        self.pos = nn.Embedding(block, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=4 * d_model, dropout=dropout,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab)

    def forward(self, idx):
        t = idx.shape[1]
        x = self.tok(idx) + self.pos(torch.arange(t, device=idx.device))
        causal = torch.triu(torch.full((t, t), float("-inf"), device=idx.device), diagonal=1)
        return self.head(self.norm(self.encoder(x, mask=causal)))


def sample(model, prompt, stoi, itos, length, temperature=0.8, device="cpu"):
    model.eval()
    idx = torch.tensor([[stoi[c] for c in prompt]], device=device)
    with torch.no_grad():
        for _ in range(length):
            logits = model(idx[:, -model.block:])[:, -1] / temperature
            nxt = torch.multinomial(F.softmax(logits, dim=-1), 1)
            idx = torch.cat([idx, nxt], dim=1)
    model.train()
    return "".join(itos[i] for i in idx[0].tolist())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--block", type=int, default=64)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--every", type=int, default=150)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    text = open(TEXT, encoding="utf-8").read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    itos = dict(enumerate(chars))
    data = torch.tensor([stoi[c] for c in text])
    split = int(0.9 * len(data))
    train_data, val_data = data[:split], data[split:]
    print(f"{len(text)} characters, vocabulary of {len(chars)}; device {args.device}")

    def batch(source):
        starts = torch.randint(len(source) - args.block - 1, (args.batch,))
        offsets = starts[:, None] + torch.arange(args.block + 1)
        chunk = source[offsets].to(args.device)
        return chunk[:, :-1], chunk[:, 1:]

    model = CharTransformer(len(chars), args.block).to(args.device)
    print(f"{sum(p.numel() for p in model.parameters()):,} parameters")
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    warmup = 50
    schedule = lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * s / args.steps))  # noqa: E731
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)

    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        x, y = batch(train_data)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, len(chars)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        if step % args.every == 0 or step == args.steps:
            model.eval()
            with torch.no_grad():
                vx, vy = batch(val_data)
                val = F.cross_entropy(model(vx).reshape(-1, len(chars)), vy.reshape(-1)).item()
            model.train()
            print(f"\nstep {step:4d}  train loss {loss.item():.3f}  val loss {val:.3f}  "
                  f"({time.perf_counter() - start:.0f}s)")
            print(sample(model, "Shall I ", stoi, itos, 120, device=args.device))


if __name__ == "__main__":
    main()
