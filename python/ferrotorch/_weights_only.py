"""Name resolution for checkpoint pickles, and the restricted (`weights_only=True`) unpickler.

Checkpoints written by PyTorch (and by `ferrotorch.save`, which writes PyTorch's names so that
`torch.load` reads its files) refer to globals such as `torch._utils._rebuild_tensor_v2`,
`torch.FloatStorage` or `torch.float32`; `torch_global` maps those to ferrotorch's objects.

With `weights_only=True` only the globals a state dict needs, plus those allowlisted with
`add_safe_globals`, can be named: restricting `find_class` is what keeps a pickle from calling
arbitrary code, since every callable a pickle can invoke has to come through it.
"""
import _compat_pickle
import codecs
import collections
import importlib
import pickle

from . import _C, _utils

__all__ = ["add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals"]

_DTYPE_NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
                "float64", "half", "float", "double", "short", "int", "long", "complex64", "complex128"]
_marked_safe_globals = []


def add_safe_globals(safe_globals):
    """Allowlists globals (classes, functions, or `(obj, "module.qualname")` pairs) for
    `load(..., weights_only=True)`."""
    for g in safe_globals:
        if g not in _marked_safe_globals:
            _marked_safe_globals.append(g)


def get_safe_globals():
    """The globals added with `add_safe_globals`."""
    return list(_marked_safe_globals)


def clear_safe_globals():
    """Removes every global added with `add_safe_globals`."""
    _marked_safe_globals.clear()


class safe_globals:
    """Context manager that allowlists `safe_globals` for weights-only loads inside its block."""

    def __init__(self, safe_globals):
        self.safe_globals = list(safe_globals)

    def __enter__(self):
        self._added = [g for g in self.safe_globals if g not in _marked_safe_globals]
        add_safe_globals(self._added)

    def __exit__(self, *exc):
        for g in self._added:
            _marked_safe_globals.remove(g)


def _user_allowed_globals():
    rc = {}
    for g in _marked_safe_globals:
        if isinstance(g, tuple):
            if len(g) != 2:
                raise ValueError(f"Expected tuple of length 2 (global, str of callable full path), but got "
                                 f"tuple of length: {len(g)}")
            if type(g[1]) is not str:
                raise TypeError(f"Expected second item in tuple to be str of callable full path, but got: "
                                f"{type(g[1])}")
            rc[g[1]] = g[0]
        else:
            rc[f"{g.__module__}.{g.__qualname__}"] = g
    return rc


def _torch_table():
    """'torch.<path>' -> ferrotorch object, for every name a state-dict checkpoint uses."""
    from . import Size, nn
    u = _utils
    table = {
        "torch._utils._rebuild_tensor": u._rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": u._rebuild_tensor_v2,
        "torch._utils._rebuild_tensor_v3": u._rebuild_tensor_v3,
        "torch._utils._rebuild_parameter": u._rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": u._rebuild_parameter_with_state,
        "torch._tensor._rebuild_from_type_v2": u._rebuild_from_type_v2,
        "torch.nn.parameter.Parameter": nn.Parameter,
        "torch.Size": Size,
        "torch.Tensor": _C.Tensor,
        "torch.device": _C.device,
    }
    for name in _DTYPE_NAMES:
        table[f"torch.{name}"] = getattr(importlib.import_module("ferrotorch"), name)
    # The same objects under ferrotorch's own names (what plain `pickle` writes for them).
    table.update({"ferrotorch" + k[len("torch"):]: v for k, v in list(table.items())})
    return table


_TABLE = None


def torch_global(module, name):
    """The ferrotorch object that `module.name` from a checkpoint stands for, or None."""
    global _TABLE
    if _TABLE is None:
        _TABLE = _torch_table()
    if module in ("torch", "ferrotorch") and name.endswith("Storage"):
        return _utils.StorageType(name)
    return _TABLE.get(f"{module}.{name}")


def _fix_py2_names(module, name):
    # Protocol-2 pickles (torch.save's default) name builtins the Python 2 way, e.g. __builtin__.set.
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


_BASE_ALLOWED = {
    "collections.OrderedDict": collections.OrderedDict,
    "collections.Counter": collections.Counter,
    "_codecs.encode": codecs.encode,  # how protocol 2 pickles bytes
    "builtins.bytearray": bytearray,
    "builtins.set": set,
    "builtins.frozenset": frozenset,
    "builtins.complex": complex,
    "builtins.slice": slice,
}


def unsupported_global_message(full_path):
    shown = full_path[len("builtins."):] if full_path.startswith("builtins.") else full_path
    return (f"Unsupported global: GLOBAL {shown} was not an allowed global by default. Please use "
            f"`torch.serialization.add_safe_globals([{shown}])` or the "
            f"`torch.serialization.safe_globals([{shown}])` context manager to allowlist this global if "
            "you trust this class/function.")


_UNSAFE_MESSAGE = ("In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
                   "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will likely "
                   "succeed, but it can result in arbitrary code execution. Do it only if you got the file from a "
                   "trusted source.")
_DOCS_MESSAGE = ("\n\nCheck the documentation of torch.load to learn more about types accepted by default with "
                 "weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


def weights_only_failure(detail):
    """The message `load` raises when the restricted unpickler refuses the file: PyTorch's text, so that
    scripts matching on it keep working (a refused global gets the two-options form)."""
    if "was not an allowed global by default." in detail:
        head = ("Weights only load failed. This file can still be loaded, to do so you have two options, "
                "\033[1mdo those steps only if you trust the source of the checkpoint\033[0m. "
                f"\n\t(1) {_UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with `weights_only=True` please check "
                "the recommended steps in the following error message.\n\tWeightsUnpickler error: " + detail)
    else:
        head = (f"Weights only load failed. {_UNSAFE_MESSAGE}\nPlease file an issue with the following so that we "
                "can make `weights_only=True` compatible with your use case: WeightsUnpickler error: \n\n" + detail)
    return head + _DOCS_MESSAGE


def make_unpickler(base, persistent_load, weights_only):
    """An Unpickler class over `base` that resolves torch names and, with `weights_only`, refuses
    every global that is not allowlisted."""

    class CheckpointUnpickler(base):
        def find_class(self, module, name):
            module, name = _fix_py2_names(module, name)
            obj = torch_global(module, name)
            if obj is not None:
                return obj
            full = f"{module}.{name}"
            if weights_only:
                if full in _BASE_ALLOWED:
                    return _BASE_ALLOWED[full]
                user = _user_allowed_globals()
                if full in user:
                    return user[full]
                raise pickle.UnpicklingError(unsupported_global_message(full))
            if module == "torch" or module.startswith("torch."):
                # Anything else under torch.* (e.g. a whole saved nn.Module): ferrotorch's namesake.
                mod = importlib.import_module("ferrotorch" + module[len("torch"):])
                return getattr(mod, name)
            return super().find_class(module, name)

    CheckpointUnpickler.persistent_load = lambda self, pid: persistent_load(pid)
    return CheckpointUnpickler
