"""A tour of ferrotorch: tensors, views, broadcasting, type promotion and numpy interop.

Run:  python examples/quickstart.py
Every line is plain PyTorch code: only the import differs.
"""
import numpy as np

import ferrotorch as torch

print("ferrotorch", torch.__version__)

# --- Creating tensors: dtypes are inferred as PyTorch infers them.
x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
i = torch.tensor([1, 2, 3])
print("x =", x)
print("x.dtype:", x.dtype, " i.dtype:", i.dtype, " shape:", x.shape, " strides:", x.stride())

# --- Views share memory: transposing, slicing and reshaping never copy.
xt = x.T
print("x.T =", xt, " contiguous?", xt.is_contiguous(), " strides:", xt.stride())
row = x.select(0, 1)
row.fill_(0.5)  # writes through the view into x
print("after x.select(0, 1).fill_(0.5): x =", x)
print("x.view(3, 2) =", x.view(3, 2))
print("x.unsqueeze(0).expand(2, 2, 3).shape =", x.unsqueeze(0).expand(2, 2, 3).shape)

# --- Broadcasting and type promotion follow PyTorch's rules.
print("x + i =", x + i)  # (2, 3) + (3,) -> (2, 3), float32
print("(i * 2).dtype:", (i * 2).dtype, " (i * 2.5).dtype:", (i * 2.5).dtype, " (i / 2).dtype:", (i / 2).dtype)
print("i.to(torch.int32) + 1 keeps int32:", (i.to(torch.int32) + 1).dtype)

# --- Elementwise math, comparisons and clamping.
print("x.exp() =", x.exp())
print("(x > 2) =", x > 2)
print("x.clamp(1, 4) =", x.clamp(1, 4))

# --- Matrix products.
print("x @ x.T =", x @ x.T)

# --- numpy interop without copies, in both directions.
a = np.arange(6, dtype=np.float32).reshape(2, 3)
t = torch.from_numpy(a)
t.mul_(10)
print("numpy array after t.mul_(10):", a.tolist())
back = x.numpy()
back[0, 0] = -1.0
print("x after writing through x.numpy():", x)
print("pickled round trip:", __import__("pickle").loads(__import__("pickle").dumps(x)))

# --- Autograd: a graph is recorded when an input requires grad.
w = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
loss = ((w * 2 + 1).relu() * w).sum()
print("loss =", loss, " grad_fn:", loss.grad_fn.name(),
      " next:", [f[0].name() for f in loss.grad_fn.next_functions if f[0] is not None])
loss.backward()
print("d loss / d w =", w.grad)
(g,) = torch.autograd.grad((w ** 3).sum(), w, create_graph=True)
(h,) = torch.autograd.grad(g.sum(), w)
print("second derivative of w**3 (6w):", h)
with torch.no_grad():
    w -= 0.1 * w.grad  # a plain SGD step: in-place on a leaf is fine without grad
print("after one SGD step: w =", w)
