"""GRU encoder-decoder with dot-product attention and teacher forcing that learns to reverse
short digit sequences; greedy decoding at test time.

Run:  python examples/scripts/seq2seq_attention.py [--device cpu|cuda]
"""
import random

try:
    import ferrotorch as torch
except ImportError:
    import torch
nn = torch.nn
F = torch.nn.functional

SOS, VOCAB, LEN = 10, 11, 5


class Encoder(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, hidden)
        self.gru = nn.GRU(hidden, hidden, batch_first=True)

    def forward(self, src):
        return self.gru(self.emb(src))  # outputs (B, T, H), h (1, B, H)


class AttnDecoder(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, hidden)
        self.gru = nn.GRU(2 * hidden, hidden, batch_first=True)
        self.out = nn.Linear(2 * hidden, VOCAB)

    def forward(self, tok, h, enc_out):
        e = self.emb(tok).unsqueeze(1)  # (B, 1, H)
        scores = torch.bmm(enc_out, h.transpose(0, 1).transpose(1, 2))  # (B, T, 1)
        attn = F.softmax(scores, dim=1)
        context = (attn * enc_out).sum(dim=1, keepdim=True)  # (B, 1, H)
        out, h = self.gru(torch.cat([e, context], dim=-1), h)
        return self.out(torch.cat([out, context], dim=-1)).squeeze(1), h, attn.squeeze(-1)


def decode(enc, dec, src, tgt=None, teacher_forcing=0.0, rng=None):
    enc_out, h = enc(src)
    tok = torch.full((src.shape[0],), SOS, dtype=torch.long, device=src.device)
    logits = []
    for t in range(LEN):
        step, h, _ = dec(tok, h, enc_out)
        logits.append(step)
        use_teacher = tgt is not None and rng is not None and rng.random() < teacher_forcing
        tok = tgt[:, t] if use_teacher else step.argmax(-1).detach()
    return torch.stack(logits, dim=1)


def main(device="cpu", steps=80, batch=32, hidden=32, verbose=True):
    torch.manual_seed(0)
    rng = random.Random(0)
    enc, dec = Encoder(hidden).to(device), AttnDecoder(hidden).to(device)
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=0.01)
    losses = []
    for _ in range(steps):
        src = torch.randint(0, 10, (batch, LEN), device=device)
        tgt = src.flip(1)
        logits = decode(enc, dec, src, tgt, teacher_forcing=0.5, rng=rng)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), tgt.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    enc.eval()
    dec.eval()
    with torch.no_grad():
        src = torch.randint(0, 10, (200, LEN), device=device)
        pred = decode(enc, dec, src).argmax(-1)
        token_acc = (pred == src.flip(1)).float().mean().item()
    if verbose:
        print(f"loss {losses[0]:.3f} -> {sum(losses[-5:]) / 5:.3f}; token accuracy {token_acc:.3f}")
        print("src ", src[0].tolist(), "\npred", pred[0].tolist())
    return {"losses": losses, "token_accuracy": token_acc}


if __name__ == "__main__":
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    main(p.parse_args().device)
