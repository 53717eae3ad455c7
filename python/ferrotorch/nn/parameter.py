"""`nn.Parameter` and `nn.Buffer`: tensors that a Module registers, when assigned as attributes, as
one of its parameters or one of its buffers."""
from .. import _C
from .._C import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and that `Module.__setattr__` registers as a parameter.

        >>> import ferrotorch as torch
        >>> p = torch.nn.Parameter(torch.zeros(2))
        >>> p.requires_grad, p.is_leaf
        (True, True)
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _C.empty(0)
        # Tensor.__new__(cls, t) aliases t's memory outside its graph, like PyTorch's _make_subclass.
        self = super().__new__(cls, data)
        if requires_grad:
            self.requires_grad_(True)
        return self

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.detach().clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach(), self.requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """A tensor marked to be registered as a buffer when assigned to a Module attribute
    (`self.running = nn.Buffer(torch.zeros(3))` is `register_buffer("running", ...)`);
    `persistent=False` keeps it out of the module's `state_dict`.

    It aliases `data`'s memory outside its graph and keeps its `requires_grad`. Unlike PyTorch,
    where the result is a plain `torch.Tensor` carrying a flag, it is an instance of this subclass
    (ferrotorch's Tensor cannot carry extra attributes).

        >>> import ferrotorch as torch
        >>> b = torch.nn.Buffer(torch.ones(2), persistent=False)
        >>> isinstance(b, torch.Tensor), b.persistent
        (True, False)
    """

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = _C.empty(0)
        self = super().__new__(cls, data.detach())
        if data.requires_grad:
            self.requires_grad_(True)
        self.persistent = persistent
        return self

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.detach().clone().requires_grad_(self.requires_grad), persistent=self.persistent)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_buffer, (self.detach(), self.requires_grad, self.persistent))


def _rebuild_buffer(data, requires_grad, persistent):
    return Buffer(data.requires_grad_(requires_grad), persistent=persistent)


def _optional_parameter(wanted, shape, device=None, dtype=None):
    """An uninitialised Parameter of `shape` when `wanted`, else None: what modules register for an optional
    weight or bias (`register_parameter(name, None)` keeps the slot, as PyTorch does)."""
    return Parameter(_C.empty(shape, device=device, dtype=dtype)) if wanted else None
