"""`torch.func`: function transforms (grad, vjp, jvp, jacrev, jacfwd, hessian, vmap) and
`functional_call`.

ferrotorch has no functorch-style batching or forward-mode AD, so the transforms are built from
the reverse-mode tape:

- `grad`, `vjp`, `jacrev` differentiate fresh leaves with `autograd.grad`. Inside another
  transform (nesting, e.g. `jacrev(jacrev(f))`) they keep the graph (`create_graph=True`) so the
  outer one can differentiate the result; at the top level the results are detached unless a
  tensor argument requires grad (tensors merely captured by `func` do not count).
- `jvp` uses the double-backward trick; `jacfwd` computes the same Jacobian as `jacrev`
  (reverse mode, one backward per output element), so it is not cheaper for tall Jacobians.
- `vmap` is a loop: it slices the inputs along `in_dims`, calls `func` once per slice and stacks
  the results along `out_dims`. That is correct for functions without side effects; `randomness`
  is not enforced (each slice simply draws the next random numbers, like "different"), and a
  batch of size 0 raises, because `func` is never called to learn the output's shape.

Inputs and outputs may be nested tuples, lists and dicts of tensors.

    >>> import ferrotorch as torch
    >>> torch.func.grad(lambda x: (x ** 2).sum())(torch.tensor([1.0, 2.0]))
    tensor([2., 4.])
"""
import functools

from . import _C
from ._C import Tensor
from .autograd.grad_mode import enable_grad, is_grad_enabled
from .utils._pytree import tree_flatten, tree_unflatten

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap", "functional_call",
           "linearize", "functionalize", "stack_module_state", "replace_all_batch_norm_modules_"]


# ----------------------------------------------------------------------------- pytrees
# The transforms flatten their inputs/outputs with `utils._pytree` (None is a leaf there, which vmap's
# in_dims/out_dims rely on); the short names are kept for `_func_extras` and `utils.checkpoint`.
_flatten = tree_flatten
_unflatten = tree_unflatten


# ----------------------------------------------------------------------------- shared machinery
class _Level:
    """How many transforms are running: inside one, results must keep their graph."""
    depth = 0


def _name(func):
    return getattr(func, "__name__", type(func).__name__)


def _normalize_argnums(argnums, nargs):
    """`argnums` as a list of non-negative positions, with functorch's checks and messages."""
    if isinstance(argnums, tuple):
        if len(argnums) == 0:
            raise RuntimeError("argnums must be non-empty")
        if len(set(argnums)) != len(argnums):
            raise RuntimeError(f"argnums elements must be unique, got {argnums}")
        nums = argnums
    elif isinstance(argnums, int):
        nums = (argnums,)
    else:
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    out = []
    for a in nums:
        if not isinstance(a, int):
            raise RuntimeError(f"argnum must be int, got: {type(a)}")
        if not -nargs <= a < nargs:
            raise RuntimeError(f"Got argnum={a}, but only {nargs} positional inputs")
        out.append(a % nargs)
    if len(set(out)) != len(out):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return out


def _track(x):
    """A leaf to differentiate against that still links to an outer graph when there is one."""
    if not isinstance(x, Tensor):
        raise RuntimeError(f"Expected the differentiated inputs to be Tensors, got {type(x)}")
    return x.view_as(x) if x.requires_grad else x.detach().requires_grad_(True)


def _prepare_args(args, argnums):
    """args with the differentiated ones replaced by tracked leaves; (flat leaves, spec of diff args)."""
    args = list(args)
    diff, flat = [], []
    for a in argnums:
        leaves, spec = _flatten(args[a])
        tracked = [_track(x) for x in leaves]
        flat.extend(tracked)
        diff.append((len(tracked), spec))
        args[a] = _unflatten(tracked, spec)
    return args, flat, diff


def _regroup(flat, diff, single):
    """Per-argnum pytrees from a flat list (a bare pytree when argnums was an int)."""
    out, pos = [], 0
    for n, spec in diff:
        out.append(_unflatten(flat[pos:pos + n], spec))
        pos += n
    return out[0] if single else tuple(out)


def _keep_graph(args):
    return _Level.depth > 0 or (is_grad_enabled() and any(isinstance(x, Tensor) and x.requires_grad
                                                           for x in _flatten(list(args))[0]))


def _finish(tree, keep):
    if keep:
        return tree
    leaves, spec = _flatten(tree)
    return _unflatten([x.detach() if isinstance(x, Tensor) else x for x in leaves], spec)


def _grads(outputs, inputs, grad_outputs, keep):
    g = _C._run_grad(list(outputs), list(inputs), list(grad_outputs) if grad_outputs is not None else None,
                     True, keep, True)
    return [_C.zeros_like(x) if gi is None else gi for gi, x in zip(g, inputs)]


def _split_aux(output, has_aux, api):
    """(output, aux): with `has_aux`, `func` must return a pair, else aux is None."""
    if not has_aux:
        return output, None
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True")
    return output


class _transform:
    """Context manager counting nested transforms."""

    def __enter__(self):
        _Level.depth += 1
        self._grad = enable_grad()
        self._grad.__enter__()

    def __exit__(self, *exc):
        self._grad.__exit__(*exc)
        _Level.depth -= 1
        return False


# ----------------------------------------------------------------------------- grad, vjp, jvp
def grad_and_value(func, argnums=0, has_aux=False):
    """Like `grad`, but the wrapped function returns `(gradient, value)` (`(gradient, (value, aux))`
    with `has_aux`)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        keep = _keep_graph(args)
        nums = _normalize_argnums(argnums, len(args))
        with _transform():
            targs, flat, diff = _prepare_args(args, nums)
            output = func(*targs, **kwargs)
            output, aux = _split_aux(output, has_aux, "grad_and_value(f)(*args)")
            if not isinstance(output, Tensor):
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                                   f"{type(output)}")
            if output.dim() != 0:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                                   f"tensor with {output.dim()} dims. Maybe you wanted to use the vjp or jacrev "
                                   "APIs instead?")
            if output.requires_grad:
                g = _grads([output], flat, None, keep)
            else:
                g = [_C.zeros_like(x) for x in flat]
        g = _finish(_regroup(g, diff, isinstance(argnums, int)), keep)
        value = _finish(output, keep)
        if has_aux:
            return g, (value, _finish(aux, keep))
        return g, value
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """The gradient of a scalar-valued `func` with respect to argument(s) `argnums`, as a function.

        >>> import ferrotorch as torch
        >>> torch.func.grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(torch.ones(2), torch.full((2,), 3.0))
        (tensor([3., 3.]), tensor([1., 1.]))
    """
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def vjp(func, *primals, has_aux=False):
    """Returns `(func(*primals), vjp_fn)` (plus `aux` with `has_aux`); `vjp_fn(cotangents)` returns
    one gradient per primal, as a tuple.

        >>> import ferrotorch as torch
        >>> out, fn = torch.func.vjp(lambda x: x * 2, torch.ones(2))
        >>> fn(torch.ones(2))
        (tensor([2., 2.]),)
    """
    keep = _keep_graph(primals)
    nums = list(range(len(primals)))
    with _transform():
        targs, flat, diff = _prepare_args(primals, nums)
        output = func(*targs)
        output, aux = _split_aux(output, has_aux, "vjp(f, *primals)")
    out_leaves, out_spec = _flatten(output)
    for o in out_leaves:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"vjp(f, *primals): Expected f(*primals) to return only tensors, got unsupported "
                               f"type {type(o)}")

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        ct_leaves, ct_spec = _flatten(cotangents)
        if ct_spec != out_spec and not (len(out_leaves) == 1 and len(ct_leaves) == 1):
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure of "
                               "outputs to the function")
        for o, c in zip(out_leaves, ct_leaves):
            if tuple(o.shape) != tuple(c.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {c.shape} and output[0] has "
                                   f"a shape of {o.shape}.")
        live = [(o, c) for o, c in zip(out_leaves, ct_leaves) if o.requires_grad]
        with _transform():
            if live:
                g = _grads([o for o, _ in live], flat, [c for _, c in live], keep or bool(create_graph))
            else:
                g = [_C.zeros_like(x) for x in flat]
        return _finish(_regroup(g, diff, False), keep or bool(create_graph))

    result = (_finish(output, keep), vjp_fn)
    return result + (_finish(aux, keep),) if has_aux else result


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """Returns `(func(*primals), J @ tangents)` (plus `aux`), by the double-backward trick.

        >>> import ferrotorch as torch
        >>> torch.func.jvp(lambda x: x ** 2, (torch.tensor([3.0]),), (torch.tensor([1.0]),))[1]
        tensor([6.])
    """
    if not isinstance(primals, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid to "
                           "call f(*primals).")
    if not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected tangents to be a tuple. E.g. it should be valid to "
                           "call f(*primals).")
    p_leaves, p_spec = _flatten(primals)
    t_leaves, t_spec = _flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same python "
                           "structure.")
    for p, t in zip(p_leaves, t_leaves):
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same shape")
    keep = _keep_graph(primals)
    with _transform():
        targs, flat, diff = _prepare_args(primals, list(range(len(primals))))
        output = func(*targs)
        output, aux = _split_aux(output, has_aux, "jvp(f, primals, tangents)")
        out_leaves, out_spec = _flatten(output)
        live = [o for o in out_leaves if isinstance(o, Tensor) and o.requires_grad]
        if live:
            # u -> J^T u is linear in u: its derivative in direction t is J t.
            dummies = [_C.zeros_like(o).requires_grad_(True) for o in live]
            g = _C._run_grad(live, flat, dummies, True, True, True)
            pairs = [(gi, t) for gi, t in zip(g, t_leaves) if gi is not None and gi.requires_grad]
            if pairs:
                jv = _grads([gi for gi, _ in pairs], dummies, [t for _, t in pairs], keep)
            else:
                jv = [_C.zeros_like(o) for o in live]
        it = iter(jv if live else [])
        tangent_out = [next(it) if (isinstance(o, Tensor) and o.requires_grad) else _C.zeros_like(o)
                       for o in out_leaves]
    result = (_finish(output, keep), _finish(_unflatten(tangent_out, out_spec), keep))
    return result + (_finish(aux, keep),) if has_aux else result


# ----------------------------------------------------------------------------- Jacobians
def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """The Jacobian of `func` with respect to `argnums`, by reverse mode (one backward pass per
    output element). Each output leaf `o` gives, per differentiated input `x`, a tensor of shape
    `o.shape + x.shape`.

        >>> import ferrotorch as torch
        >>> torch.func.jacrev(torch.sin)(torch.zeros(2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    if chunk_size is not None and chunk_size <= 0:
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        keep = _keep_graph(args)
        nums = _normalize_argnums(argnums, len(args))
        with _transform():
            targs, flat, diff = _prepare_args(args, nums)
            output = func(*targs, **kwargs)
            output, aux = _split_aux(output, has_aux, "jacrev(f, ...)(*args)")
            out_leaves, out_spec = _flatten(output)
            per_output = []
            for o in out_leaves:
                if not isinstance(o, Tensor):
                    raise RuntimeError(f"jacrev(f, ...)(*args): Expected f(*args) to return only tensors, got "
                                       f"unsupported type {type(o)}")
                rows = [[] for _ in flat]
                o_flat = o.reshape(-1)
                for k in range(o_flat.numel()):
                    if o.requires_grad:
                        g = _grads([o_flat[k]], flat, None, True)
                    else:
                        g = [_C.zeros_like(x) for x in flat]
                    for j, gj in enumerate(g):
                        rows[j].append(gj)
                jac = []
                for j, x in enumerate(flat):
                    shape = tuple(o.shape) + tuple(x.shape)
                    jac.append(_C.stack(rows[j]).reshape(shape) if rows[j]
                               else _C.zeros(shape, dtype=x.dtype, device=x.device))
                per_output.append(_regroup(jac, diff, isinstance(argnums, int)))
        result = _finish(_unflatten(per_output, out_spec), keep)
        return (result, _finish(aux, keep)) if has_aux else result
    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian of `func` (same result and layout as `jacrev`; computed by reverse mode, since
    ferrotorch has no forward-mode AD)."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got "
                           f"{randomness}")
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    """The Hessian of a scalar `func`: `jacfwd(jacrev(func, argnums), argnums)`.

        >>> import ferrotorch as torch
        >>> torch.func.hessian(lambda x: (x ** 3).sum())(torch.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)


# ----------------------------------------------------------------------------- vmap
def _check_in_dims(in_dims, args, fname):
    if isinstance(in_dims, int) or in_dims is None:
        return [in_dims] * len(args)
    if not isinstance(in_dims, tuple):
        raise ValueError(f"vmap({fname}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a "
                         f"(potentially nested) tuple matching the structure of inputs, got: {type(in_dims)}.")
    if len(in_dims) != len(args):
        raise ValueError(f"vmap({fname}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                         f"structure of `inputs`. in_dims has structure {in_dims} but inputs has {len(args)} "
                         "arguments.")
    return list(in_dims)


def _expand_dims(dims, arg):
    """The per-leaf in_dims of one argument (an int/None broadcasts over its leaves)."""
    leaves, spec = _flatten(arg)
    if dims is None or isinstance(dims, int):
        return leaves, spec, [dims] * len(leaves)
    d_leaves, d_spec = _flatten(dims)
    if len(d_leaves) != len(leaves):
        raise ValueError(f"in_dims {dims} is not compatible with the structure of its input")
    return leaves, spec, d_leaves


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """Maps `func` over a dimension of its inputs: slices each input along its `in_dims` entry
    (None: not mapped), calls `func` per slice, stacks the outputs along `out_dims`. A loop, see
    the module docstring.

        >>> import ferrotorch as torch
        >>> torch.func.vmap(torch.dot)(torch.ones(3, 2), torch.ones(3, 2))
        tensor([2., 2., 2.])
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got "
                           f"{randomness}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")
    fname = _name(func)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        dims = _check_in_dims(in_dims, args, fname)
        prepared, size = [], None
        for arg, d in zip(args, dims):
            leaves, spec, ldims = _expand_dims(d, arg)
            norm = []
            for x, ld in zip(leaves, ldims):
                if ld is None:
                    norm.append(None)
                    continue
                if not isinstance(x, Tensor):
                    raise ValueError(f"vmap({fname}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={ld} for an "
                                     f"input but the input is of type {type(x)}. We cannot vmap over non-Tensor "
                                     "arguments, please use None as the respective in_dim")
                if not -x.dim() <= ld < max(x.dim(), 1) or x.dim() == 0:
                    raise ValueError(f"vmap({fname}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={ld} for some "
                                     f"input, but that input is a Tensor of dimensionality {x.dim()} so expected "
                                     f"in_dim to satisfy -{x.dim()} <= in_dim < {x.dim()}.")
                ld %= x.dim()
                if size is not None and x.shape[ld] != size:
                    raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, "
                                     f"got sizes {[size, x.shape[ld]]} for the mapped dimension")
                size = x.shape[ld]
                norm.append(ld)
            prepared.append((leaves, spec, norm))
        if size is None:
            raise ValueError(f"vmap({fname}, in_dims={in_dims}, ...)(<inputs>): at least one input must be a "
                             "Tensor to vmap over (in_dims must not be None for all of them)")
        if size == 0:
            raise RuntimeError(f"vmap({fname}, ...): a batch of size 0 is not supported (vmap calls the function "
                               "once per slice)")
        results = []
        for i in range(size):
            call = [_unflatten([x if d is None else x.select(d, i) for x, d in zip(lv, nd)], sp)
                    for lv, sp, nd in prepared]
            results.append(func(*call, **kwargs))
        out_leaves_per_call = []
        out_spec = None
        for r in results:
            leaves, spec = _flatten(r)
            for o in leaves:
                if not isinstance(o, Tensor):
                    raise ValueError(f"vmap({fname}, ...): `{fname}` must only return Tensors, got type "
                                     f"{type(o)}. Did you mean to set out_dims= to None for output?")
            out_leaves_per_call.append(leaves)
            out_spec = spec
        n_out = len(out_leaves_per_call[0])
        odims = [out_dims] * n_out if isinstance(out_dims, int) or out_dims is None else _flatten(out_dims)[0]
        if len(odims) != n_out:
            raise ValueError(f"vmap({fname}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with "
                             "the structure of `outputs`.")
        stacked = []
        for j in range(n_out):
            column = [c[j] for c in out_leaves_per_call]
            if odims[j] is None:
                stacked.append(column[0])
            else:
                stacked.append(_C.stack(column, odims[j]))
        return _unflatten(stacked, out_spec)
    return wrapper


# ----------------------------------------------------------------------------- functional_call
def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """Calls `module(*args, **kwargs)` with some parameters/buffers replaced by the tensors in
    `parameter_and_buffer_dicts` (one dict or a tuple of dicts, keyed like `state_dict()`), then
    puts the originals back.

        >>> import ferrotorch as torch
        >>> lin = torch.nn.Linear(2, 1, bias=False)
        >>> torch.func.functional_call(lin, {"weight": torch.ones(1, 2)}, (torch.ones(1, 2),))
        tensor([[2.]])
    """
    if isinstance(parameter_and_buffer_dicts, dict):
        values = dict(parameter_and_buffer_dicts)
    elif isinstance(parameter_and_buffer_dicts, (tuple, list)):
        values = {}
        for d in parameter_and_buffer_dicts:
            for k, v in d.items():
                if k in values:
                    raise ValueError(f"{k} appeared in multiple dictionaries; behavior of functional call is "
                                     "ambiguous")
                values[k] = v
    else:
        raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
                         f"{type(parameter_and_buffer_dicts)}")
    args = () if args is None else (args if isinstance(args, tuple) else (args,))
    kwargs = {} if kwargs is None else kwargs
    named = list(module.named_parameters(remove_duplicate=False)) + list(module.named_buffers(remove_duplicate=False))
    if tie_weights:
        by_tensor = {}
        for name, t in named:
            by_tensor.setdefault(id(t), []).append(name)
        for name, t in named:
            if name not in values:
                tied = [n for n in by_tensor[id(t)] if n in values]
                if tied:
                    values[name] = values[tied[0]]
    if strict:
        known = {n for n, _ in named}
        unexpected = sorted(set(values) - known)
        missing = sorted(known - set(values))
        if unexpected or missing:
            msg = f"Error(s) in reparametrizing for {type(module).__name__}:"
            if unexpected:
                msg += "\n\tUnexpected key(s): " + ", ".join(repr(k) for k in unexpected) + "."
            if missing:
                msg += "\n\tMissing key(s): " + ", ".join(repr(k) for k in missing) + "."
            raise RuntimeError(msg)
    undo = []
    try:
        for name, value in values.items():
            prefix, _, leaf = name.rpartition(".")
            owner = module.get_submodule(prefix) if prefix else module
            for store in ("_parameters", "_buffers"):
                table = owner.__dict__[store]
                if leaf in table:
                    # Direct dict writes: a plain tensor may stand in for a Parameter for this call.
                    undo.append((table, leaf, table[leaf]))
                    table[leaf] = value
                    break
            else:
                undo.append((owner, leaf, None))
                object.__setattr__(owner, leaf, value)
        return module(*args, **kwargs)
    finally:
        for table, leaf, old in reversed(undo):
            if isinstance(table, dict):
                table[leaf] = old
            else:
                object.__delattr__(table, leaf)


# linearize, functionalize, stack_module_state, replace_all_batch_norm_modules_ (they use the
# pytree helpers above, so they are imported last).
from ._func_extras import (  # noqa: E402
    linearize, functionalize, stack_module_state, replace_all_batch_norm_modules_,
)
from ._rearrange import rearrange  # noqa: E402
__all__.append("rearrange")
