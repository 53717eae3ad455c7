"""More `torch.func` transforms: `linearize`, `functionalize`, `stack_module_state` and
`replace_all_batch_norm_modules_`, built on the reverse-mode machinery of func.py.

- `linearize(func, *primals)` evaluates `func` once and keeps the graph of its vector-Jacobian
  product with a dummy cotangent u: J^T u is linear in u, so differentiating it along a tangent t
  gives J t (the double-backward trick of `jvp`). Each `jvp_fn(*tangents)` call is then one
  backward pass through that saved graph, without re-running `func`.
- `functionalize` exists in PyTorch to remove in-place ops for tracing; eager ferrotorch runs the
  function as is, which gives the same outputs and the same input mutations PyTorch propagates.

    >>> import ferrotorch as torch
    >>> out, jvp_fn = torch.func.linearize(torch.sin, torch.zeros(2))
    >>> jvp_fn(torch.ones(2))
    tensor([1., 1.])
"""
import functools

from . import _C
from ._C import Tensor
from .func import _flatten, _transform, _unflatten

__all__ = ["linearize", "functionalize", "stack_module_state", "replace_all_batch_norm_modules_"]


def linearize(func, *primals):
    """Returns `(func(*primals), jvp_fn)`: `jvp_fn(*tangents)` is the Jacobian-vector product of
    `func` at `primals`, reusing one evaluation of `func`.

        >>> import ferrotorch as torch
        >>> out, jvp_fn = torch.func.linearize(lambda x: x ** 2, torch.tensor([3.0]))
        >>> out, jvp_fn(torch.tensor([1.0]))
        (tensor([9.]), tensor([6.]))
    """
    flat_primals, primals_spec = _flatten(primals)
    shapes = [p.shape for p in flat_primals]
    devices = [p.device for p in flat_primals]
    dtypes = [p.dtype for p in flat_primals]
    with _transform():
        leaves = [p.detach().requires_grad_(True) for p in flat_primals]
        output = func(*_unflatten(leaves, primals_spec))
        out_leaves, out_spec = _flatten(output)
        live = [o for o in out_leaves if isinstance(o, Tensor) and o.requires_grad]
        dummies = [_C.zeros_like(o).requires_grad_(True) for o in live]
        # J^T u with its graph kept: differentiating it in u along t gives J t.
        vjps = _C._run_grad(live, leaves, dummies, True, True, True) if live else []
    pairs = [(g, i) for i, g in enumerate(vjps) if g is not None and g.requires_grad]

    def jvp_fn(*tangents):
        flat_t, t_spec = _flatten(tangents)
        if t_spec != primals_spec:
            raise RuntimeError(f"Expected the tangents {t_spec} to have the same argspec as the "
                               f"primals {primals_spec}")
        for idx, t in enumerate(flat_t):
            for what, got, want in (("shape", t.shape, shapes[idx]), ("device", t.device, devices[idx]),
                                    ("dtype", t.dtype, dtypes[idx])):
                if got != want:
                    raise RuntimeError(f"tangent:{idx} with {what} {got} in flattened pytree doesn't match the "
                                       f"{what} {want} of the corresponding primal.")
        with _transform():
            if pairs:
                jv = _C._run_grad([g for g, _ in pairs], dummies, [flat_t[i] for _, i in pairs], True, False, True)
                jv = [_C.zeros_like(d) if j is None else j for j, d in zip(jv, dummies)]
            else:
                jv = [_C.zeros_like(d) for d in dummies]
        it = iter(jv)
        result = [next(it).detach() if (isinstance(o, Tensor) and o.requires_grad) else _C.zeros_like(o)
                  for o in out_leaves]
        return _unflatten(result, out_spec)

    out = _unflatten([o.detach() if isinstance(o, Tensor) else o for o in out_leaves], out_spec)
    return out, jvp_fn


def functionalize(func, *, remove="mutations"):
    """Returns `func` as a function without in-place side effects in its program; in eager
    ferrotorch it computes the same outputs and, like PyTorch, mutations of the inputs still reach
    the caller's tensors.

        >>> import ferrotorch as torch
        >>> torch.func.functionalize(lambda x: x.clone().add_(1))(torch.zeros(2))
        tensor([1., 1.])
    """
    if remove not in ("mutations", "mutations_and_views"):
        raise RuntimeError(
            f"functionalize(f, remove='mutations'): received invalid argument for remove={remove}."
            " Valid options are:\n"
            "     remove='mutations': all inplace and out= operators will be removed from the program, and replaced"
            " with their out-of-place equivalents.\n"
            "     remove='mutations_and_views': In addition to the above, all aliasing operators {view} will be"
            " replaced with their non-aliasing counterparts, {view}_copy.\n")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        return func(*args, **kwargs)
    return wrapped


def _stacked_leaf(tensors, name):
    all_grad = all(t.requires_grad for t in tensors)
    if not all_grad and any(t.requires_grad for t in tensors):
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    result = _C.stack([t.detach() for t in tensors])
    return result.requires_grad_(True) if all_grad else result


def stack_module_state(models):
    """(params, buffers): each parameter and buffer of the same-class `models` stacked along a new
    first dim, keyed like `named_parameters()`; the stacked parameters are new leaves requiring
    grad (for ensembling with `vmap` and `functional_call`).

        >>> import ferrotorch as torch
        >>> params, buffers = torch.func.stack_module_state([torch.nn.Linear(3, 2) for _ in range(4)])
        >>> tuple(params["weight"].shape)
        (4, 2, 3)
    """
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or all(not m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    first = type(models[0])
    if not all(type(m) is first for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    all_params = [dict(m.named_parameters()) for m in models]
    params = {k: _stacked_leaf([p[k] for p in all_params], k) for k in all_params[0]}
    all_buffers = [dict(m.named_buffers()) for m in models]
    buffers = {k: _stacked_leaf([b[k] for b in all_buffers], k) for k in all_buffers[0]}
    return params, buffers


def _drop_running_stats(module):
    from .nn.modules.batchnorm import _BatchNorm
    if isinstance(module, _BatchNorm) and module.track_running_stats:
        module.running_mean = None
        module.running_var = None
        module.num_batches_tracked = None
        module.track_running_stats = False


def replace_all_batch_norm_modules_(root):
    """In place: every BatchNorm module in `root` stops tracking running statistics (its
    running_mean, running_var and num_batches_tracked become None). Returns `root`.

        >>> import ferrotorch as torch
        >>> bn = torch.func.replace_all_batch_norm_modules_(torch.nn.BatchNorm1d(3))
        >>> bn.running_mean is None, bn.track_running_stats
        (True, False)
    """
    _drop_running_stats(root)
    for module in root.modules():
        _drop_running_stats(module)
    return root
