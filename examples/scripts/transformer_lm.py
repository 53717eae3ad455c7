"""Tiny decoder-only Transformer LM built from nn.TransformerEncoder with a causal mask, tied
input/output embeddings, AdamW and linear warmup through LambdaLR; learns a periodic token stream.

Run:  python examples/scripts/transformer_lm.py [--device cpu|cuda]
"""
try:
    import ferrotorch as torch
except ImportError:
    import torch
nn = torch.nn
F = torch.nn.functional


class TinyLM(nn.Module):
    def __init__(self, vocab=12, d=32, heads=4, layers=2, block=16):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.zeros(1, block, d))
        layer = nn.TransformerEncoderLayer(d, heads, dim_feedforward=64, dropout=0.0, batch_first=True,
                                           norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, num_layers=layers, enable_nested_tensor=False)
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.tok.weight  # weight tying
        nn.init.normal_(self.tok.weight, std=0.1)  # small, so the tied head starts near uniform

    def forward(self, idx):
        T = idx.shape[1]
        mask = nn.Transformer.generate_square_subsequent_mask(T, device=idx.device)
        h = self.tok(idx) + self.pos[:, :T]
        return self.head(self.ln(self.blocks(h, mask=mask, is_causal=True)))


def batch_of(n, block, g):
    # Each row counts up by a random stride modulo 12: predictable from the previous two tokens.
    start = torch.randint(0, 12, (n, 1), generator=g)
    stride = torch.randint(1, 4, (n, 1), generator=g)
    seq = (start + stride * torch.arange(block + 1)) % 12
    return seq[:, :-1], seq[:, 1:]


def main(device="cpu", steps=60, warmup=10, verbose=True):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    model = TinyLM().to(device)
    n_params = sum(p.numel() for p in model.parameters())
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and n != "pos"]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2 or n == "pos"]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                             {"params": no_decay, "weight_decay": 0.0}], lr=3e-3, betas=(0.9, 0.98))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warmup))
    losses, lrs = [], []
    for _ in range(steps):
        x, y = batch_of(16, 16, g)
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
        lrs.append(sched.get_last_lr()[0])
        sched.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        x, y = batch_of(64, 16, g)
        pred = model(x.to(device)).argmax(-1).cpu()
        acc_late = (pred[:, 4:] == y[:, 4:]).float().mean().item()
    tied = model.head.weight is model.tok.weight
    if verbose:
        print(f"{n_params} parameters (tied: {tied}); lr warmup {[round(v, 4) for v in lrs[:3]]} ...")
        print(f"loss {losses[0]:.3f} -> {sum(losses[-5:]) / 5:.3f}; accuracy after 4 tokens {acc_late:.3f}")
    return {"losses": losses, "lrs": lrs, "accuracy": acc_late, "tied": tied, "n_params": n_params}


if __name__ == "__main__":
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    main(p.parse_args().device)
