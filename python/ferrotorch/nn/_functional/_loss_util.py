"""Helpers shared by the loss functions: reduction handling, PyTorch's messages, stable log-sigmoid."""
import warnings

from .. import _reduction as _Reduction

# PyTorch's C++ names of scalar types, which its messages print ("expected scalar type Long but found Float").
_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
                 "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
                 "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def scalar_name(dtype):
    return _SCALAR_NAMES.get(str(dtype).replace("torch.", ""), str(dtype))


def resolve(size_average, reduce, reduction):
    """The reduction to use: the deprecated pair wins when either is given (with PyTorch's warning)."""
    if size_average is not None or reduce is not None:
        return _Reduction.legacy_get_string(size_average, reduce)
    return reduction


def reduce_loss(loss, mode):
    """Apply an enum reduction (0 none, 1 mean, 2 sum) to an elementwise loss."""
    if mode == 0:
        return loss
    return loss.mean() if mode == 1 else loss.sum()


def warn_size(input, target, stacklevel=3):
    if target.size() != input.size():
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input size ({input.size()}). "
                      "This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=stacklevel)


def infer_size(a, b):
    """Broadcast two shapes, raising PyTorch's message when they do not match."""
    n = max(len(a), len(b))
    out = []
    for i in range(n):
        da = a[i - n + len(a)] if i - n + len(a) >= 0 else 1
        db = b[i - n + len(b)] if i - n + len(b) >= 0 else 1
        if da != db and da != 1 and db != 1:
            raise RuntimeError(f"The size of tensor a ({da}) must match the size of tensor b ({db}) "
                               f"at non-singleton dimension {i}")
        out.append(db if da == 1 else da)
    return tuple(out)


def log_sigmoid(x):
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), finite for every x.

    min(x, 0) is written (x - |x|) / 2 so that its gradient at x == 0 is 1/2, which with the second term's
    0 gives the true derivative sigmoid(-0) = 1/2 (zero-initialised logits hit exactly this point).
    PyTorch's kernel is real-only: complex input raises its message.
    """
    if x.dtype.is_complex:
        raise NotImplementedError(f"\"log_sigmoid_cpu\" not implemented for '{scalar_name(x.dtype)}'")
    a = x.abs()
    return (x - a) * 0.5 - (-a).exp().log1p()
