"""Loss reduction modes, as `torch.nn._reduction`: the enum values and the legacy argument mapping."""
import warnings

_ENUM = {"none": 0, "mean": 1, "sum": 2}


def get_enum(reduction):
    """Map a reduction name to PyTorch's enum value (0 none, 1 mean, 2 sum); reject anything else."""
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated, please use reduction='mean' instead.")
        return 1
    if isinstance(reduction, str) and reduction in _ENUM:
        return _ENUM[reduction]
    raise ValueError(f"{reduction} is not a valid value for reduction")


def legacy_get_enum(size_average, reduce, emit_warning=True):
    return get_enum(legacy_get_string(size_average, reduce, emit_warning))


def legacy_get_string(size_average, reduce, emit_warning=True):
    """The reduction that the deprecated `size_average`/`reduce` pair stands for (None means True)."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.")
    return ret
