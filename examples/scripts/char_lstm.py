"""Character-level LSTM language model over lines of different lengths: pad_sequence +
pack_padded_sequence, cross-entropy that ignores padding, then sampling with torch.multinomial.

Run:  python examples/scripts/char_lstm.py [--device cpu|cuda]
"""
try:
    import ferrotorch as torch
except ImportError:
    import torch
nn = torch.nn
F = torch.nn.functional
rnn_utils = torch.nn.utils.rnn

TEXT = ["the cat sat on the mat", "a cat and a hat", "the hat is on the cat",
        "that cat sat", "at the mat the cat sat", "the cat ate"]


class CharLM(nn.Module):
    def __init__(self, vocab, emb=16, hidden=48):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb, padding_idx=0)
        self.lstm = nn.LSTM(emb, hidden, num_layers=1, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x, lengths, state=None):
        packed = rnn_utils.pack_padded_sequence(self.emb(x), lengths, batch_first=True, enforce_sorted=False)
        out, state = self.lstm(packed, state)
        out, _ = rnn_utils.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return self.out(out), state


def main(device="cpu", steps=60, verbose=True):
    chars = sorted(set("".join(TEXT)))
    stoi = {c: i + 2 for i, c in enumerate(chars)}  # 0 = pad, 1 = start/end
    itos = {i: c for c, i in stoi.items()}
    vocab = len(stoi) + 2
    seqs = [torch.tensor([1] + [stoi[c] for c in line] + [1]) for line in TEXT]
    inputs = rnn_utils.pad_sequence([s[:-1] for s in seqs], batch_first=True, padding_value=0)
    targets = rnn_utils.pad_sequence([s[1:] for s in seqs], batch_first=True, padding_value=-100)
    lengths = torch.tensor([len(s) - 1 for s in seqs])

    torch.manual_seed(0)
    model = CharLM(vocab).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    x, t = inputs.to(device), targets.to(device)
    losses = []
    for _ in range(steps):
        logits, _ = model(x, lengths)
        loss = F.cross_entropy(logits.reshape(-1, vocab), t.reshape(-1), ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())

    # Sampling: feed one character at a time, carrying the LSTM state.
    model.eval()
    gen = torch.Generator().manual_seed(3)
    out, state, cur = [], None, torch.tensor([[1]], device=device)
    with torch.no_grad():
        for _ in range(30):
            logits, state = model(cur, torch.tensor([1]), state)
            probs = F.softmax(logits[0, -1] / 0.8, dim=-1).cpu()
            nxt = torch.multinomial(probs, num_samples=1, generator=gen).item()
            if nxt == 1:
                break
            out.append(itos.get(nxt, "?"))
            cur = torch.tensor([[nxt]], device=device)
    sample = "".join(out)
    if verbose:
        print(model)
        print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f}")
        print("sample:", repr(sample))
    return {"losses": losses, "sample": sample, "vocab": set(chars)}


if __name__ == "__main__":
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    main(p.parse_args().device)
