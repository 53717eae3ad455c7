"""`ferrotorch.Size`: the tuple subclass returned by `Tensor.shape` and `Tensor.size()`.

As PyTorch's, it holds ints only (anything with ``__index__``, such as a 0-d integer tensor, is
converted; floats and strings are refused), and slicing, ``+`` and ``*`` give a Size back.
"""
import operator


class Size(tuple):
    """A tuple of ints describing a tensor's shape.

    >>> import ferrotorch as torch
    >>> torch.zeros(2, 3).shape
    torch.Size([2, 3])
    >>> (1,) + torch.Size([2]) * 2
    torch.Size([1, 2, 2])
    """

    def __new__(cls, sizes=()):
        # Fast path: the core builds every `.shape` from a tuple of ints.
        if type(sizes) is tuple:
            for s in sizes:
                if type(s) is not int:
                    break
            else:
                return tuple.__new__(cls, sizes)
        items = []
        for i, s in enumerate(sizes):
            # bool is an int subclass and PyTorch accepts it; float and str have no __index__.
            try:
                items.append(operator.index(s))
            except TypeError:
                raise TypeError(f"torch.Size() takes an iterable of 'int' (item {i} is "
                                f"'{type(s).__name__}')") from None
        return super().__new__(cls, items)

    def __repr__(self):
        return f"torch.Size([{', '.join(str(s) for s in self)}])"

    __str__ = __repr__

    def numel(self):
        """The number of elements a tensor of this shape holds (1 for a 0-d shape)."""
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        r = super().__getitem__(item)
        return Size(r) if isinstance(item, slice) else r

    def __add__(self, other):
        if not isinstance(other, tuple):
            raise TypeError(f"can only concatenate tuple (not {type(other).__name__}) to torch.Size")
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(other) + tuple(self))

    def __mul__(self, times):
        r = tuple.__mul__(self, times)
        return r if r is NotImplemented else Size(r)

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))
