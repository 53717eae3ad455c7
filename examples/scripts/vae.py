"""Variational autoencoder on 2-D points lying near a circle: reparameterisation trick,
torch.distributions.Normal for the posterior and kl_divergence against the standard normal prior.

Run:  python examples/scripts/vae.py [--device cpu|cuda]
"""
import math

try:
    import ferrotorch as torch
except ImportError:
    import torch
nn = torch.nn
F = torch.nn.functional
D = torch.distributions


class VAE(nn.Module):
    def __init__(self, x_dim=2, z_dim=1, hidden=32):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(x_dim, hidden), nn.Tanh())
        self.mu = nn.Linear(hidden, z_dim)
        self.logvar = nn.Linear(hidden, z_dim)
        self.dec = nn.Sequential(nn.Linear(z_dim, hidden), nn.Tanh(), nn.Linear(hidden, x_dim))

    def forward(self, x):
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h)
        std = torch.exp(0.5 * logvar)
        z = mu + std * torch.randn_like(std)  # reparameterisation: gradients flow into mu and std
        return self.dec(z), mu, logvar


def elbo_terms(model, x):
    recon, mu, logvar = model(x)
    q = D.Normal(mu, torch.exp(0.5 * logvar))
    prior = D.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    kl = D.kl_divergence(q, prior).sum(-1).mean()
    # Gaussian likelihood with fixed sigma 0.1
    nll = -D.Normal(recon, 0.1).log_prob(x).sum(-1).mean()
    # The closed form KL must agree with the distributions library.
    kl_closed = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).sum(-1).mean()
    return nll, kl, kl_closed


def main(device="cpu", steps=150, verbose=True):
    torch.manual_seed(0)
    angle = torch.rand(512) * 2 * math.pi
    data = torch.stack([angle.cos(), angle.sin()], dim=1) + 0.05 * torch.randn(512, 2)
    data = data.to(device)
    model = VAE().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses, kl_gap = [], 0.0
    for step in range(steps):
        xb = data[torch.randint(0, 512, (64,), device=device)]
        nll, kl, kl_closed = elbo_terms(model, xb)
        loss = nll + kl
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        kl_gap = max(kl_gap, abs(kl.item() - kl_closed.item()))
    model.eval()
    with torch.no_grad():
        z = D.Normal(0.0, 1.0).sample((400, 1)).to(device)
        radius = model.dec(z).norm(dim=1)
    mean_radius = radius.mean().item()
    if verbose:
        print(f"negative ELBO {sum(losses[:5]) / 5:.2f} -> {sum(losses[-10:]) / 10:.2f}")
        print(f"max |KL(lib) - KL(closed form)| {kl_gap:.2e}; decoded prior samples radius {mean_radius:.3f}")
    return {"losses": losses, "kl_gap": kl_gap, "mean_radius": mean_radius}


if __name__ == "__main__":
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    main(p.parse_args().device)
