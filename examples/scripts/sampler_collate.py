"""Custom Dataset of variable-length token sequences with a padding collate_fn, class imbalance
handled by WeightedRandomSampler, and a bag-of-embeddings classifier with masked mean pooling.

Run:  python examples/scripts/sampler_collate.py [--device cpu|cuda]
"""
import random

try:
    import ferrotorch as torch
except ImportError:
    import torch
nn = torch.nn
F = torch.nn.functional
data_utils = torch.utils.data


class TokenDataset(data_utils.Dataset):
    """Class 1 (rare, 10%) sequences contain token 7; class 0 sequences never do."""

    def __init__(self, n=400, seed=0):
        rng = random.Random(seed)
        self.items = []
        for _ in range(n):
            label = 1 if rng.random() < 0.1 else 0
            length = rng.randint(3, 9)
            toks = [rng.choice([1, 2, 3, 4, 5, 6, 8, 9]) for _ in range(length)]
            if label:
                toks[rng.randrange(length)] = 7
            self.items.append((toks, label))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        toks, label = self.items[i]
        return torch.tensor(toks, dtype=torch.long), label


def pad_collate(batch):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    padded = torch.nn.utils.rnn.pad_sequence(list(seqs), batch_first=True, padding_value=0)
    return padded, lengths, torch.tensor(labels)


class BagClassifier(nn.Module):
    def __init__(self, vocab=10, dim=16):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim, padding_idx=0)
        self.fc = nn.Linear(dim, 2)

    def forward(self, toks, lengths):
        mask = (torch.arange(toks.shape[1], device=toks.device)[None, :] < lengths[:, None]).unsqueeze(-1)
        summed = (self.emb(toks) * mask).sum(1)
        return self.fc(summed / lengths[:, None].float())


def main(device="cpu", epochs=3, verbose=True):
    torch.manual_seed(0)
    ds = TokenDataset()
    labels = torch.tensor([lab for _, lab in ds.items])
    counts = torch.bincount(labels, minlength=2)
    weights = (1.0 / counts.double())[labels]  # each class gets the same total weight
    sampler = data_utils.WeightedRandomSampler(weights, num_samples=len(ds), replacement=True,
                                               generator=torch.Generator().manual_seed(0))
    loader = data_utils.DataLoader(ds, batch_size=32, sampler=sampler, collate_fn=pad_collate)
    model = BagClassifier().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    seen_pos, seen, losses, shapes = 0, 0, [], set()
    for _ in range(epochs):
        for toks, lengths, y in loader:
            shapes.add(tuple(toks.shape[1:]))
            seen_pos += int(y.sum())
            seen += len(y)
            toks, lengths, y = toks.to(device), lengths.to(device), y.to(device)
            loss = F.cross_entropy(model(toks, lengths), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    # Evaluate on the unweighted data set, in order.
    model.eval()
    correct_pos = correct = 0
    with torch.no_grad():
        for toks, lengths, y in data_utils.DataLoader(ds, batch_size=100, collate_fn=pad_collate):
            pred = model(toks.to(device), lengths.to(device)).argmax(1).cpu()
            correct += (pred == y).sum().item()
            correct_pos += ((pred == y) & (y == 1)).sum().item()
    rare_fraction, positive_share = counts[1].item() / len(ds), seen_pos / seen
    if verbose:
        print(f"class counts {counts.tolist()}; rare class share: data {rare_fraction:.2f}, sampled {positive_share:.2f}")
        print(f"batches {len(loader)}, padded lengths seen {sorted(s[0] for s in shapes)}")
        print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f}; accuracy {correct / len(ds):.3f}, "
              f"rare-class recall {correct_pos / counts[1].item():.3f}")
    return {"rare_fraction": rare_fraction, "sampled_share": positive_share, "losses": losses,
            "accuracy": correct / len(ds), "recall": correct_pos / counts[1].item(), "n_batches": len(loader)}


if __name__ == "__main__":
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    main(p.parse_args().device)
