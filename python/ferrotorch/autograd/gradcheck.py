"""Finite-difference checks of gradients (`gradcheck`) and of gradients of gradients
(`gradgradcheck`), with PyTorch's defaults. Users check their own Functions with them too.

Both the reverse-mode Jacobian and, with `check_forward_ad=True` (`check_fwd_over_rev=True`), the
forward-mode one are compared with the numerical Jacobian, element by element (PyTorch's slow
mode; `fast_mode` is accepted and checks the same, fully). Forward mode is `autograd.forward_ad`,
which derives tangents from the reverse-mode graph by double backward: a custom Function's
forward-mode Jacobian therefore comes from its `backward` (it has no `jvp` of its own here), and the
check needs the function to be differentiable twice.
"""
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


def _float_outputs(outputs):
    return [o for o in _as_tuple(outputs) if isinstance(o, Tensor) and o.dtype.is_floating_point]


def _column_jacobians(func, inputs, wrt, column):
    """J[k][o]: d output o / d input wrt[k], as a (numel_in, numel_out) array per pair, built one
    input element at a time: `column(k, j)` gives every float output's derivative with respect to
    element j of input k (a flat array per output)."""
    jac = []
    for k in wrt:
        cols = [column(k, j) for j in range(inputs[k].numel())]
        # cols[j][o] is a row of output o's derivatives wrt element j.
        if cols:
            jac.append([np.stack([c[o] for c in cols]) for o in range(len(cols[0]))])
        else:
            # An empty input: a (0, numel_out) Jacobian per float output.
            jac.append([np.zeros((0, o.numel())) for o in _float_outputs(func(*inputs))])
    return jac


def _numerical_jacobians(func, inputs, wrt, eps):
    """The Jacobians by central differences."""
    # Fresh leaves with the same requires_grad, so functions that differentiate internally
    # (gradgradcheck's) still can.
    base = [x.detach().clone().requires_grad_(x.requires_grad) if isinstance(x, Tensor) else x for x in inputs]

    def column(k, j):
        x = base[k]
        orig = x.detach().reshape(-1)[j].item()
        vals = []
        for delta in (eps, -eps):
            # Bumped through a flat contiguous copy: a clone keeps a non-contiguous input's strides.
            flat = x.detach().reshape(-1).clone()
            flat[j] = orig + delta
            bumped = flat.reshape(x.shape).requires_grad_(x.requires_grad)
            args = list(base)
            args[k] = bumped
            vals.append([_to_numpy(o) for o in _float_outputs(func(*args))])
        return [(p - m) / (2 * eps) for p, m in zip(*vals)]

    return _column_jacobians(func, base, wrt, column)


def _forward_jacobians(func, inputs, wrt):
    """The Jacobians by forward mode: the tangent of each output when input wrt[k] carries the
    tangent e_j (forward_ad emulates forward mode by double backward, so a Function's tangent is
    derived from its backward formula)."""
    from . import forward_ad as fw_ad
    from .. import zeros

    def column(k, j):
        x = inputs[k].detach()
        basis = zeros(x.shape, dtype=x.dtype, device=x.device)
        basis.view(-1)[j] = 1
        # One level per column, so each level only holds its own dual.
        with fw_ad.dual_level():
            args = list(inputs)
            args[k] = fw_ad.make_dual(x, basis)
            columns = []
            for o in _float_outputs(func(*args)):
                tangent = fw_ad.unpack_dual(o).tangent
                columns.append(np.zeros(o.numel()) if tangent is None else _to_numpy(tangent))
        return columns

    return _column_jacobians(func, inputs, wrt, column)


def _analytical_jacobians(func, inputs, wrt):
    from . import grad as autograd_grad
    outputs = _float_outputs(func(*inputs))
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


def _check_flags(check_forward_ad, check_backward_ad, check_batched_grad, check_batched_forward_grad):
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad to be True")
    if check_batched_grad and not check_backward_ad:
        raise AssertionError("Setting check_batched_grad=True requires check_backward_ad to be True")
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError("Setting check_batched_forward_grad=True requires check_forward_ad to be True")
    if check_batched_forward_grad:
        # PyTorch runs the forward-mode check under vmap, for batched tangents. ferrotorch has no
        # batching (its vmap calls the function once per slice), so there is nothing to check:
        # refuse rather than report a pass that checked nothing.
        raise NotImplementedError("gradcheck: check_batched_forward_grad=True is not supported: ferrotorch has no "
                                  "batched forward-mode AD (vmap runs one slice at a time). Set "
                                  "check_batched_forward_grad=False; check_forward_ad=True still checks the "
                                  "forward-mode Jacobian.")


def _first_mismatch(expected, actual, wrt, rtol, atol):
    """(output, input, numerical, analytical) of the first Jacobian that differs, or None."""
    for kk, k in enumerate(wrt):
        for o, (n, a) in enumerate(zip(expected[kk], actual[kk])):
            if n.shape != a.shape or not np.allclose(a, n, rtol=rtol, atol=atol):
                return o, k, n, a
    return None


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """Checks analytical gradients of `func` at `inputs` against finite differences: the
    reverse-mode Jacobian (`check_backward_ad`), then the forward-mode one (`check_forward_ad`,
    through `autograd.forward_ad`).

    Returns True, or raises GradcheckError (returns False with `raise_exception=False`)."""
    _check_flags(check_forward_ad, check_backward_ad, check_batched_grad, check_batched_forward_grad)
    inputs = _as_tuple(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them "
                         "have requires_grad=True.")
    for i in wrt:
        if inputs[i].dtype.itemsize < 8:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating point "
                          "or complex. ")
    numerical = _numerical_jacobians(func, inputs, wrt, eps)
    checks = []
    if check_backward_ad:
        checks.append(("Jacobian mismatch", _analytical_jacobians))
    if check_forward_ad:
        checks.append(("Jacobian computed with forward mode mismatch", _forward_jacobians))
    for what, analytical_jacobians in checks:
        mismatch = _first_mismatch(numerical, analytical_jacobians(func, inputs, wrt), wrt, rtol, atol)
        if mismatch is not None:
            if not raise_exception:
                return False
            o, k, n, a = mismatch
            raise GradcheckError(f"{what} for output {o} with respect to input {k},\n"
                                 f"numerical:{n}\nanalytical:{a}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False):
    """Checks second derivatives: `gradcheck` applied to the gradient of `func` (built with
    `create_graph=True`), with respect to the inputs and the output gradients: by reverse mode
    (`check_rev_over_rev`) and by forward mode over it (`check_fwd_over_rev`, which, forward mode
    being emulated by double backward, needs `func` to be differentiable three times)."""
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to be True")
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_batched_grad=True requires check_rev_over_rev to be True")
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
                     raise_exception=raise_exception, check_forward_ad=check_fwd_over_rev,
                     check_backward_ad=check_rev_over_rev)
