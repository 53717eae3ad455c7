"""1-D GAN that learns to sample from N(3, 0.5): separate generator/discriminator optimizers,
detach() for the discriminator step, BCEWithLogitsLoss with real/fake labels.

Run:  python examples/scripts/gan.py [--device cpu|cuda]
"""
try:
    import ferrotorch as torch
except ImportError:
    import torch
nn = torch.nn


def main(device="cpu", steps=300, batch=64, verbose=True):
    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(4, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1)).to(device)
    Dn = nn.Sequential(nn.Linear(1, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1)).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(Dn.parameters(), lr=2e-3, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    ones = torch.ones(batch, 1, device=device)
    zeros = torch.zeros(batch, 1, device=device)
    d_losses, g_losses = [], []
    for _ in range(steps):
        real = 3.0 + 0.5 * torch.randn(batch, 1, device=device)
        fake = G(torch.randn(batch, 4, device=device))
        # Discriminator: fake is detached so this step leaves G's gradients untouched.
        d_loss = bce(Dn(real), ones) + bce(Dn(fake.detach()), zeros)
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        assert all(p.grad is None for p in G.parameters()) or d_losses
        # Generator: fool the discriminator.
        g_loss = bce(Dn(fake), ones)
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        d_losses.append(d_loss.item())
        g_losses.append(g_loss.item())
    with torch.no_grad():
        samples = G(torch.randn(2000, 4, device=device)).squeeze(1)
    mean, std = samples.mean().item(), samples.std().item()
    if verbose:
        print(G)
        print(f"D loss {d_losses[-1]:.3f}, G loss {g_losses[-1]:.3f}; samples mean {mean:.3f} std {std:.3f}")
    return {"mean": mean, "std": std, "d_losses": d_losses, "g_losses": g_losses}


if __name__ == "__main__":
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    main(p.parse_args().device)
