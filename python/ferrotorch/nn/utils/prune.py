"""`nn.utils.prune`: zero out parameter entries through a mask, PyTorch's pruning API.

Pruning `module.weight` moves the parameter to `weight_orig`, adds the buffer `weight_mask` and a
forward pre-hook that sets `module.weight = weight_mask * weight_orig` before each call, so gradients
reach `weight_orig` only where the mask is 1. Pruning the same tensor again combines the masks in a
`PruningContainer` (the new method only sees the entries or channels still alive); `remove` makes the
pruning permanent. Masks are computed with tensor ops on the tensor's own device.
"""
import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

import ferrotorch as torch

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured",
           "RandomStructured", "LnStructured", "CustomFromMask", "identity", "random_unstructured",
           "l1_unstructured", "random_structured", "ln_structured", "global_unstructured",
           "custom_from_mask", "remove", "is_pruned"]


class BasePruningMethod(ABC):
    """Base of the pruning methods: `compute_mask` decides, `apply` installs it on a module.

    An instance is the module's forward pre-hook for the pruned tensor (`_tensor_name`).
    """

    _tensor_name = None

    def __call__(self, module, inputs):
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The new mask for tensor `t` (importance scores), given the mask already in place."""

    def apply_mask(self, module):
        """The pruned tensor `mask * orig` for `module`."""
        assert self._tensor_name is not None, f"Module {module} has to be pruned"
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prunes `module.<name>` with a new `cls(*args, **kwargs)`, combined with any earlier pruning
        of the same tensor. Returns the method (or container) installed as the hook."""
        old_keys = [k for k, h in module._forward_pre_hooks.items()
                    if isinstance(h, BasePruningMethod) and h._tensor_name == name]
        assert len(old_keys) <= 1, (f"Avoid adding multiple pruning hooks to the same tensor {name} of module "
                                    f"{module}. Use a PruningContainer.")
        old_method = module._forward_pre_hooks[old_keys[0]] if old_keys else None
        for k in old_keys:
            del module._forward_pre_hooks[k]
        method = cls(*args, **kwargs)
        method._tensor_name = name
        if old_method is not None:
            if isinstance(old_method, PruningContainer):
                old_method.add_pruning_method(method)
                method = old_method
            else:
                container = PruningContainer(old_method)
                container.add_pruning_method(method)
                method = container

        orig = getattr(module, name)
        if importance_scores is not None:
            assert importance_scores.shape == orig.shape, (f"importance_scores should have the same shape as "
                                                           f"parameter {name} of {module}")
        else:
            importance_scores = orig
        if not isinstance(method, PruningContainer):
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = torch.ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()
        try:
            mask = method.compute_mask(importance_scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            # Leave the module as it was when the mask cannot be computed.
            if not isinstance(method, PruningContainer):
                orig = getattr(module, name + "_orig")
                module.register_parameter(name, orig)
                del module._parameters[name + "_orig"]
            raise
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """`t` times the mask this method computes for it (nothing is installed on a module)."""
        if importance_scores is not None:
            assert importance_scores.shape == t.shape, "importance_scores should have the same shape as tensor t"
        else:
            importance_scores = t
        default_mask = default_mask if default_mask is not None else torch.ones_like(t)
        return t * self.compute_mask(importance_scores, default_mask=default_mask)

    def remove(self, module):
        """Makes the pruning permanent: `module.<name>` becomes the Parameter `<name>_orig` (same object)
        holding the pruned values; the mask and the `_orig` entry go away."""
        assert self._tensor_name is not None, f"Module {module} has to be pruned before pruning can be removed"
        weight = self.apply_mask(module)
        if hasattr(module, self._tensor_name):
            delattr(module, self._tensor_name)
        orig = module._parameters[self._tensor_name + "_orig"]
        orig.data = weight.detach()
        del module._parameters[self._tensor_name + "_orig"]
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig)


class PruningContainer(BasePruningMethod):
    """The sequence of pruning methods applied to one tensor; its mask is the last method's mask
    computed on what the earlier ones left."""

    def __init__(self, *args):
        self._pruning_methods = ()
        if len(args) == 1:
            self._tensor_name = args[0]._tensor_name
            self.add_pruning_method(args[0])
        else:
            for method in args:
                self.add_pruning_method(method)

    def add_pruning_method(self, method):
        """Appends `method`, which must act on the same tensor name."""
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        elif method is not None and self._tensor_name != method._tensor_name:
            raise ValueError("Can only add pruning methods acting on the parameter named "
                             f"'{self._tensor_name}' to PruningContainer {self}. Found '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        method = self._pruning_methods[-1]
        mask = default_mask.to(dtype=t.dtype)
        kind = method.PRUNING_TYPE
        if kind == "unstructured":
            # The new method ranks only the entries still alive (a 1-d selection, in row-major order).
            alive = mask == 1
            partial = method.compute_mask(t[alive], default_mask=mask[alive])
            return mask.masked_scatter(alive, partial.to(dtype=mask.dtype))
        if kind == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError('Pruning methods of PRUNING_TYPE "structured" need to have the attribute `dim` '
                                     "defined.")
            n_dims = t.dim()
            dim = method.dim + n_dims if method.dim < 0 else method.dim
            if dim < 0:
                raise IndexError(f"Index is out of bounds for tensor with dimensions {n_dims}")
            # Channels entirely pruned already are left out of the new ranking.
            keep = mask.sum(dim=[d for d in range(n_dims) if d != dim]) != 0
            idx = keep.nonzero().reshape(-1)
            partial = method.compute_mask(t.index_select(dim, idx), default_mask=mask.index_select(dim, idx))
            return mask.index_copy(dim, idx, partial.to(dtype=mask.dtype))
        if kind == "global":
            return method.compute_mask(t, default_mask=mask).to(dtype=mask.dtype)
        raise ValueError(f"Unrecognized PRUNING_TYPE {kind}")


class Identity(BasePruningMethod):
    """Prunes nothing: installs an all-ones mask (useful to get the `_orig` / `_mask` layout)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


def _validate_pruning_amount_init(amount):
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and (float(amount) > 1.0 or float(amount) < 0.0)):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")


def _validate_pruning_amount(amount, tensor_size):
    if isinstance(amount, numbers.Integral) and amount > tensor_size:
        raise ValueError(f"amount={amount} should be smaller than the number of parameters to prune={tensor_size}")


def _validate_structured_pruning(t):
    shape = t.shape
    if len(shape) <= 1:
        raise ValueError("Structured pruning can only be applied to multidimensional tensors. Found tensor of "
                         f"shape {shape} with {len(shape)} dims")


def _validate_pruning_dim(t, dim):
    if dim >= t.dim():
        raise IndexError(f"Invalid index {dim} for tensor of size {t.shape}")


def _compute_nparams_toprune(amount, tensor_size):
    # Python's round: halves go to even, as in PyTorch.
    if isinstance(amount, numbers.Integral):
        return amount
    return round(amount * tensor_size)


def _zero_at(mask, flat_indices):
    return mask.reshape(-1).index_fill(0, flat_indices, 0).reshape(mask.shape)


def _channel_mask(t, dim, channels):
    """Ones on the given channels (indices along `dim`) of a tensor shaped like `t`, zeros elsewhere."""
    shape = [1] * t.dim()
    shape[dim] = t.shape[dim]
    sel = torch.zeros(t.shape[dim], dtype=t.dtype, device=t.device).index_fill(0, channels, 1)
    return sel.reshape(shape).expand(t.shape).clone()


class _Unstructured(BasePruningMethod):
    """Prunes the `amount` entries (a count, or a fraction of them) that `_pruned(t, n)` picks."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_pruning_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        n = _compute_nparams_toprune(self.amount, t.nelement())
        _validate_pruning_amount(n, t.nelement())
        mask = default_mask.clone()
        if n != 0:
            mask = _zero_at(mask, self._pruned(t, n))
        return mask


class RandomUnstructured(_Unstructured):
    """Prunes `amount` (a count, or a fraction of the entries) entries chosen uniformly at random."""

    @staticmethod
    def _pruned(t, n):
        return torch.topk(torch.rand_like(t).reshape(-1), k=n).indices

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(_Unstructured):
    """Prunes the `amount` entries of smallest absolute value."""

    @staticmethod
    def _pruned(t, n):
        return torch.topk(torch.abs(t).reshape(-1), k=n, largest=False).indices

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """Prunes `amount` whole channels along `dim`, chosen at random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t, default_mask):
        _validate_structured_pruning(t)
        _validate_pruning_dim(t, self.dim)
        size = t.shape[self.dim]
        n = _compute_nparams_toprune(self.amount, size)
        _validate_pruning_amount(n, size)
        if n == 0:
            return default_mask
        dim = self.dim % t.dim()
        prob = torch.rand(size, device=t.device)
        kept = torch.topk(prob, k=size - n).indices
        return _channel_mask(t, dim, kept) * default_mask.to(dtype=t.dtype)

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


def _compute_norm(t, n, dim):
    dims = list(range(t.dim()))
    dims.remove(dims[dim])
    return torch.norm(t, p=n, dim=dims)


class LnStructured(BasePruningMethod):
    """Prunes the `amount` channels along `dim` of smallest L`n` norm (`n` as `torch.norm`'s `p`)."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1):
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t, default_mask):
        _validate_structured_pruning(t)
        _validate_pruning_dim(t, self.dim)
        size = t.shape[self.dim]
        nprune = _compute_nparams_toprune(self.amount, size)
        _validate_pruning_amount(nprune, size)
        norm = _compute_norm(t, self.n, self.dim)
        kept = torch.topk(norm, k=size - nprune, largest=True).indices
        if nprune == 0:
            return default_mask
        return _channel_mask(t, self.dim % t.dim(), kept) * default_mask.to(dtype=t.dtype)

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prunes with a given mask (multiplied into any existing one)."""

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        assert default_mask.shape == self.mask.shape
        return default_mask * self.mask.to(dtype=default_mask.dtype, device=default_mask.device)

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


def identity(module, name):
    """Installs pruning with an all-ones mask on `module.<name>`. Returns `module`."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Prunes `amount` random entries of `module.<name>` (int: a count; float in [0, 1]: a fraction).

        >>> import ferrotorch as torch
        >>> from ferrotorch.nn.utils import prune
        >>> m = prune.random_unstructured(torch.nn.Linear(4, 5), "weight", amount=0.5)
        >>> int((m.weight_mask == 0).sum())
        10
    """
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prunes the `amount` entries of `module.<name>` (or of `importance_scores`) of smallest magnitude.

        >>> import ferrotorch as torch
        >>> from ferrotorch.nn.utils import prune
        >>> m = prune.l1_unstructured(torch.nn.Linear(4, 5), "weight", amount=3)
        >>> int((m.weight == 0).sum())
        3
    """
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    """Prunes `amount` random channels of `module.<name>` along `dim`. Returns `module`."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """Prunes the `amount` channels along `dim` with the smallest L`n` norm. Returns `module`."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prunes all `(module, name)` pairs of `parameters` together, as one flattened tensor, with the
    unstructured `pruning_method` class (e.g. `L1Unstructured`, `amount=...` in kwargs).

        >>> import ferrotorch as torch
        >>> from ferrotorch.nn.utils import prune
        >>> a, b = torch.nn.Linear(3, 2), torch.nn.Linear(2, 2)
        >>> prune.global_unstructured([(a, "weight"), (b, "weight")], prune.L1Unstructured, amount=4)
        >>> int((a.weight == 0).sum() + (b.weight == 0).sum())
        4
    """
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    flat = torch.cat([importance_scores.get((m, n), getattr(m, n)).detach().reshape(-1) for m, n in parameters])
    default_mask = torch.cat([getattr(m, n + "_mask", None).reshape(-1) if hasattr(m, n + "_mask")
                              else torch.ones_like(getattr(m, n)).reshape(-1) for m, n in parameters])
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
                        f"{pruning_method} of type {method.PRUNING_TYPE}")
    container.add_pruning_method(method)
    final_mask = container.compute_mask(flat, default_mask)
    pointer = 0
    for module, name in parameters:
        param = getattr(module, name)
        num = param.numel()
        custom_from_mask(module, name, mask=final_mask[pointer:pointer + num].reshape(param.shape))
        pointer += num


def custom_from_mask(module, name, mask):
    """Prunes `module.<name>` with the given `mask` (0 = pruned). Returns `module`."""
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module, name):
    """Makes the pruning of `module.<name>` permanent: the parameter keeps the pruned values and the
    mask, `_orig` and hook go away. Returns `module`."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed")


def is_pruned(module):
    """Whether `module` or any submodule carries a pruning hook."""
    for _, sub in module.named_modules():
        for hook in sub._forward_pre_hooks.values():
            if isinstance(hook, BasePruningMethod):
                return True
    return False
