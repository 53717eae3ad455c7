"""Finite-difference checks of gradients (`gradcheck`) and of gradients of gradients
(`gradgradcheck`), with PyTorch's defaults. Users check their own Functions with them too."""
import warnings

import numpy as np

from .._C import Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by `gradcheck`/`gradgradcheck` when a Jacobian does not match."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _differentiable_outputs(outputs):
    return [o for o in _as_tuple(outputs) if isinstance(o, Tensor) and o.requires_grad]


def _to_numpy(t):
    return np.array(t.detach().double().cpu().numpy(), dtype=np.float64, copy=True).reshape(-1)


def _numerical_jacobians(func, inputs, wrt, eps):
    """J[k][o]: d output o / d input wrt[k], as a (numel_in, numel_out) array per pair."""
    # Fresh leaves with the same requires_grad, so functions that differentiate internally
    # (gradgradcheck's) still can.
    base = [x.detach().clone().requires_grad_(x.requires_grad) if isinstance(x, Tensor) else x for x in inputs]
    jac = []
    for k in wrt:
        x = base[k]
        flat = x.detach().reshape(-1)
        cols = []
        for j in range(x.numel()):
            orig = flat[j].item()
            vals = []
            for delta in (eps, -eps):
                bumped = x.detach().clone()
                bumped.view(-1)[j] = orig + delta
                bumped.requires_grad_(x.requires_grad)
                args = list(base)
                args[k] = bumped
                outs = [o for o in _as_tuple(func(*args)) if isinstance(o, Tensor) and o.dtype.is_floating_point]
                vals.append([_to_numpy(o) for o in outs])
            cols.append([(p - m) / (2 * eps) for p, m in zip(*vals)])
        # cols[j][o] is a row of output o's derivatives wrt element j.
        if cols:
            jac.append([np.stack([c[o] for c in cols]) for o in range(len(cols[0]))])
        else:
            # An empty input: a (0, numel_out) Jacobian per float output.
            outs = [o for o in _as_tuple(func(*base)) if isinstance(o, Tensor) and o.dtype.is_floating_point]
            jac.append([np.zeros((0, o.numel())) for o in outs])
    return jac


def _analytical_jacobians(func, inputs, wrt):
    from . import grad as autograd_grad
    outputs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o.dtype.is_floating_point]
    jac = [[np.zeros((inputs[k].numel(), o.numel())) for o in outputs] for k in wrt]
    diff_inputs = [inputs[k] for k in wrt]
    for oi, o in enumerate(outputs):
        if not o.requires_grad:
            continue
        for e in range(o.numel()):
            seed = np.zeros(o.numel())
            seed[e] = 1.0
            from .. import tensor as make_tensor
            go = make_tensor(seed.reshape(tuple(o.shape)), dtype=o.dtype, device=o.device)
            grads = autograd_grad(o, diff_inputs, go, retain_graph=True, allow_unused=True)
            for kk, g in enumerate(grads):
                if g is not None:
                    if tuple(g.shape) != tuple(diff_inputs[kk].shape):
                        raise GradcheckError(f"Gradient has wrong shape for input {wrt[kk]}")
                    jac[kk][oi][:, e] = _to_numpy(g)
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """Checks analytical gradients of `func` at `inputs` against finite differences.

    Returns True, or raises GradcheckError (returns False with `raise_exception=False`)."""
    inputs = _as_tuple(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the them "
                         "have requires_grad=True.")
    for i in wrt:
        if inputs[i].dtype.itemsize < 8:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating point "
                          "or complex. ")
    numerical = _numerical_jacobians(func, inputs, wrt, eps)
    analytical = _analytical_jacobians(func, inputs, wrt)
    for kk, k in enumerate(wrt):
        for o, (n, a) in enumerate(zip(numerical[kk], analytical[kk])):
            if n.shape != a.shape or not np.allclose(a, n, rtol=rtol, atol=atol):
                msg = (f"Jacobian mismatch for output {o} with respect to input {k},\n"
                       f"numerical:{n}\nanalytical:{a}\n")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False):
    """Checks second derivatives: `gradcheck` applied to the gradient of `func` (built with
    `create_graph=True`), with respect to the inputs and the output gradients."""
    from . import grad as autograd_grad
    from .. import randn
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outs = _differentiable_outputs(func(*inputs))
        grad_outputs = tuple(randn(*o.shape, dtype=o.dtype, device=o.device).requires_grad_() for o in outs)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def first_derivative(*args):
        ins, gos = args[:n_in], args[n_in:]
        outs = _differentiable_outputs(func(*ins))
        grads = autograd_grad(outs, [ins[i] for i in wrt], gos, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivative, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
