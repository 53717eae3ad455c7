"""`ferrotorch.save` / `ferrotorch.load` in PyTorch's zip checkpoint format.

A checkpoint is an uncompressed zip archive whose entries all sit under one folder `<name>/`:
`data.pkl` is a pickle of the saved object in which each tensor is
`torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)` and each
storage is a persistent id `("storage", torch.<Type>Storage, key, location, numel)`; the raw
little-endian bytes of storage `key` are the entry `data/<key>` (aligned to 64 bytes in the file,
as PyTorch aligns them); `version`, `byteorder`, `.format_version`, `.storage_alignment` and
`.data/serialization_id` complete the archive. Files written here are read by `torch.load`, and
files written by `torch.save` are read here.

    >>> import io, ferrotorch as torch
    >>> buf = io.BytesIO()
    >>> torch.save({"w": torch.arange(3.0)}, buf)
    >>> _ = buf.seek(0)
    >>> torch.load(buf)["w"]
    tensor([0., 1., 2.])
"""
import contextlib
import io
import mmap as _mmap
import os
import pickle
import secrets
import struct
import zipfile
from collections import OrderedDict

from . import _C, _utils
from ._size import Size
from ._weights_only import (add_safe_globals, clear_safe_globals, get_safe_globals, make_unpickler,  # noqa: F401
                            safe_globals, weights_only_failure)

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals",
           "DEFAULT_PROTOCOL"]

DEFAULT_PROTOCOL = 2
_ALIGNMENT = 64
_FORMAT_VERSION = "3\n"  # the archive version PyTorch's stream writer records


# ----------------------------------------------------------------------------------------- saving
class _Global:
    """A global written under an exact `module`/`name` (e.g. `torch._utils _rebuild_tensor_v2`):
    pickle's own global writer would need to import `torch` to check the name."""
    __slots__ = ("module", "name")
    _cache = {}

    def __new__(cls, module, name):
        key = (module, name)
        if key not in cls._cache:
            self = object.__new__(cls)
            self.module, self.name = module, name
            cls._cache[key] = self
        return cls._cache[key]

    def __call__(self, *args):  # pickle only accepts callables as reduce functions; never called
        raise TypeError(f"{self.module}.{self.name} is a name for pickling only")


class _StorageRef:
    __slots__ = ("pid",)

    def __init__(self, pid):
        self.pid = pid


def _location_tag(device):
    if device.type == "cpu":
        return "cpu"
    if device.type in ("cuda", "gpu"):  # ferrotorch's GPU answers to "cuda" so PyTorch can read it
        return f"cuda:{device.index or 0}"
    return str(device)


class _CheckpointPickler(pickle._Pickler):
    """Pickles tensors the way `torch.save` does, collecting the storages to write."""
    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol):
        super().__init__(file, protocol)
        self.storages = {}  # key -> flat 1-D tensor over the whole storage
        self._refs = {}     # storage identity -> (_StorageRef, dtype)

    def persistent_id(self, obj):
        return obj.pid if type(obj) is _StorageRef else None

    def _storage_ref(self, t):
        nbytes, dtype = t.untyped_storage_nbytes(), t.dtype
        # Empty storages may all report the same (dangling) address: never treat them as shared.
        ident = t._storage_id() if nbytes else ("empty", len(self._refs))
        if ident in self._refs:
            ref, saved_dtype = self._refs[ident]
            if saved_dtype != dtype:
                raise RuntimeError("Cannot save multiple tensors or storages that view the same data as "
                                   "different types")
            return ref
        key = str(len(self._refs))
        numel = nbytes // dtype.itemsize
        name = _utils.DTYPE_STORAGES[_utils._dtype_name(dtype)]
        ref = _StorageRef(("storage", _Global("torch", name), key, _location_tag(t.device), numel))
        self._refs[ident] = (ref, dtype)
        self.storages[key] = t.detach().as_strided((numel,), (1,), 0)
        return ref

    def reducer_override(self, obj):
        if isinstance(obj, _C.Tensor):
            return self._reduce_tensor(obj)
        if isinstance(obj, _C.device):
            return _Global("torch", "device"), (str(obj),)
        if isinstance(obj, Size):
            return _Global("torch", "Size"), (tuple(obj),)
        return NotImplemented

    def _reduce_tensor(self, t):
        from .nn.parameter import Parameter
        if type(t) is Parameter:
            state = dict(t.__dict__)
            if state:
                return (_Global("torch._utils", "_rebuild_parameter_with_state"),
                        (t.detach(), t.requires_grad, OrderedDict(), state))
            return _Global("torch._utils", "_rebuild_parameter"), (t.detach(), t.requires_grad, OrderedDict())
        args = (self._storage_ref(t), t.storage_offset(), tuple(t.shape), tuple(t.stride()), t.requires_grad,
                OrderedDict())
        v2 = _Global("torch._utils", "_rebuild_tensor_v2")
        if type(t) is _C.Tensor:
            return v2, args
        # A Tensor subclass: PyTorch's wrapper that rebuilds the plain tensor, then the subclass.
        state = dict(getattr(t, "__dict__", {})) or None
        return _Global("torch._tensor", "_rebuild_from_type_v2"), (v2, type(t), args, state)

    def _save_global_marker(self, obj):
        if self.proto >= 4:
            self.save(obj.module)
            self.save(obj.name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    def _save_dtype(self, obj):
        self.save(_Global("torch", _utils._dtype_name(obj)))

    dispatch[_Global] = _save_global_marker
    dispatch[_C.dtype] = _save_dtype


def _is_path(f):
    return isinstance(f, (str, os.PathLike))


def _write_archive(fp, archive, records):
    with zipfile.ZipFile(fp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, data in records:
            info = zipfile.ZipInfo(f"{archive}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            # Pad the local header's extra field (id "FB", as PyTorch does) so the data starts on a
            # 64-byte boundary, which lets readers map storages straight from the file.
            zip64 = 20 if len(data) * 1.05 > zipfile.ZIP64_LIMIT else 0
            fixed = zf.start_dir + 30 + len(info.filename.encode("utf-8")) + 4 + zip64
            pad = -fixed % _ALIGNMENT
            info.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad
            zf.writestr(info, data)


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Saves `obj` (tensors, Parameters, state dicts, nested containers, Python values) to `f`, a path
    or a writable binary file object, in PyTorch's zip checkpoint format. Tensors that share memory
    are stored once and share it again after `load`.

    Tensors are written by a pure-Python pickler (pickle's own would import `torch` to check the
    names it writes). A `pickle_module` whose `Pickler` derives from `pickle._Pickler` (as dill's
    does) is mixed into it; other modules' picklers cannot write those names and are not used.
    """
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("ferrotorch.save writes only the zip checkpoint format "
                                  "(_use_new_zipfile_serialization=True)")
    base = getattr(pickle_module, "Pickler", pickle._Pickler)
    mixable = isinstance(base, type) and issubclass(base, pickle._Pickler) and base is not pickle._Pickler
    if mixable:
        dispatch = {**base.dispatch, _Global: _CheckpointPickler._save_global_marker,
                    _C.dtype: _CheckpointPickler._save_dtype}
        pickler_cls = type("_CheckpointPickler", (_CheckpointPickler, base), {"dispatch": dispatch})
    else:
        pickler_cls = _CheckpointPickler
    buf = io.BytesIO()
    pickler = pickler_cls(buf, pickle_protocol)
    pickler.dump(obj)
    records = [("data.pkl", buf.getvalue()), (".format_version", b"1"),
               (".storage_alignment", str(_ALIGNMENT).encode())]
    if not _disable_byteorder_record:
        records.append(("byteorder", b"little"))
    for key in sorted(pickler.storages, key=int):
        records.append((f"data/{key}", _utils._tensor_bytes(pickler.storages[key])))
    records.append(("version", _FORMAT_VERSION.encode()))
    records.append((".data/serialization_id", f"{secrets.randbits(128):040d}".encode()))
    if _is_path(f):
        archive = os.path.splitext(os.path.basename(os.fspath(f)))[0] or "archive"
        with open(f, "wb") as fp:
            _write_archive(fp, archive, records)
    else:
        if not hasattr(f, "write"):
            raise AttributeError("expected 'f' to be string, path, or a file-like object with a 'write' attribute")
        _write_archive(f, "archive", records)


# ---------------------------------------------------------------------------------------- loading
_LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"


def _decode(s):
    return s.decode("ascii") if isinstance(s, bytes) else s


def _restore(storage, location):
    """`storage` moved to the device named by `location` (a checkpoint location tag)."""
    if location == "cpu":
        return storage.cpu()
    try:
        return storage.to(location)
    except RuntimeError as e:
        if location.startswith("cuda"):
            raise RuntimeError("Attempting to deserialize object on a CUDA device but no GPU is available. "
                               "If you are running on a CPU-only machine, please use torch.load with "
                               "map_location=torch.device('cpu') to map your storages to the CPU.") from e
        raise


def _location_restorer(map_location):
    """PyTorch's `map_location` forms -> one function (storage, location) -> storage."""
    if map_location is None:
        return _restore
    if isinstance(map_location, dict):
        return lambda s, loc: _restore(s, str(map_location.get(loc, loc)))
    if isinstance(map_location, (str, bytes, _C.device)):
        target = str(_decode(map_location))
        return lambda s, loc: _restore(s, target)
    if callable(map_location):
        def restore(s, loc):
            result = map_location(s, loc)
            if result is None:
                return _restore(s, loc)
            if not isinstance(result, _utils.TypedStorage):
                raise TypeError(f"map_location should return a storage or None, but got {type(result)}")
            return result
        return restore
    raise TypeError(f"map_location should be a str, torch.device, dict or callable, got {type(map_location)}")


def _byteswap(data, itemsize):
    import numpy as np
    return np.frombuffer(data, dtype=f">u{itemsize}").astype(f"<u{itemsize}").tobytes()


def _load_archive(zf, map_location, pickle_module, weights_only, pickle_load_args):
    names = zf.namelist()
    if not names or "/" not in names[0]:
        raise RuntimeError("PytorchStreamReader failed reading zip archive: file in archive is not in a "
                           "subdirectory")
    prefix = names[0].split("/", 1)[0] + "/"
    present = set(names)
    byteorder = zf.read(prefix + "byteorder").decode() if prefix + "byteorder" in present else "little"
    restore = _location_restorer(map_location)
    loaded = {}

    def persistent_load(saved_id):
        if not isinstance(saved_id, tuple) or _decode(saved_id[0]) != "storage":
            raise RuntimeError(f"Unknown saved id type: {saved_id!r}")
        storage_type, key, location, numel = saved_id[1:]
        key, location = _decode(key), _decode(location)
        if key in loaded:
            return loaded[key]
        dtype = getattr(storage_type, "dtype", None)
        if dtype is None:
            raise TypeError(f"ferrotorch has no dtype for the checkpoint's storage type {storage_type!r}")
        nbytes = numel * dtype.itemsize
        data = zf.read(f"{prefix}data/{key}")
        if len(data) < nbytes:
            raise RuntimeError(f"storage data/{key} holds {len(data)} bytes, expected {nbytes}")
        data = data if len(data) == nbytes else data[:nbytes]
        if byteorder == "big" and dtype.itemsize > 1:
            data = _byteswap(data, dtype.itemsize)
        storage = restore(_utils.TypedStorage._from_bytes(data, numel, dtype), location)
        loaded[key] = storage
        return storage

    base = pickle.Unpickler if weights_only else (pickle_module or pickle).Unpickler
    unpickler_cls = make_unpickler(base, persistent_load, weights_only)
    with zf.open(prefix + "data.pkl") as pkl:
        return unpickler_cls(pkl, **pickle_load_args).load()


class _MappedFile(_mmap.mmap):
    def seekable(self):  # zipfile asks; mmap only answers from Python 3.13 on
        return True


@contextlib.contextmanager
def _open_for_read(f, mmap):
    if _is_path(f):
        with open(f, "rb") as fp:
            if mmap:
                with _MappedFile(fp.fileno(), 0, access=_mmap.ACCESS_READ) as mm:
                    yield mm
            else:
                yield fp
        return
    if mmap:
        raise ValueError("f must be a file path in order to use the mmap argument")
    if not hasattr(f, "read"):
        raise AttributeError(f"'{type(f).__name__}' object has no attribute 'seek'. You can only torch.load from a "
                             "file that is seekable. Please pre-load the data into a buffer like io.BytesIO and try "
                             "to load from it instead.")
    if not (hasattr(f, "seekable") and f.seekable()):
        f = io.BytesIO(f.read())  # zip readers seek to the central directory at the end
    yield f


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Loads an object saved with `torch.save` or `ferrotorch.save` from `f` (a path or a readable
    binary file object).

    - `weights_only` (True unless a `pickle_module` is given): only tensors, Parameters, dtypes,
      devices, containers (dict, OrderedDict, list, tuple, set) and plain Python values may be
      loaded, plus globals allowlisted with `add_safe_globals`; anything else raises
      `pickle.UnpicklingError("Weights only load failed...")`. `weights_only=False` unpickles
      arbitrary objects: use it only for files you trust.
    - `map_location`: a device or device string for every storage, a dict from saved location
      (e.g. "cuda:0") to location, or a callable `(storage, location) -> storage or None`.
      Without it storages go back where they were saved.
    - `mmap=True` (paths only) reads the archive through a memory map; tensors are still copied
      out of it into ferrotorch's own memory.
    Tensors that shared memory when saved share one storage again.
    """
    if weights_only is None:
        weights_only = pickle_module is None
    elif weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    pickle_load_args.setdefault("encoding", "utf-8")
    with _open_for_read(f, mmap) as fp:
        start = fp.tell()
        magic = fp.read(len(_LEGACY_MAGIC))
        fp.seek(start)
        if not magic:
            raise EOFError("")
        if not magic.startswith(b"PK\x03\x04"):
            if magic == _LEGACY_MAGIC:
                raise RuntimeError("ferrotorch.load reads only the zip checkpoint format that torch.save "
                                   "writes by default since PyTorch 1.6; re-save this legacy file with "
                                   "a current PyTorch")
            b = magic[0]
            shown = chr(b) if 32 <= b < 127 else f"\\x{b:02x}"
            raise pickle.UnpicklingError(f"invalid load key, '{shown}'.")
        with zipfile.ZipFile(fp) as zf:
            try:
                return _load_archive(zf, map_location, pickle_module, weights_only, pickle_load_args)
            except pickle.UnpicklingError as e:
                if weights_only:
                    raise pickle.UnpicklingError(weights_only_failure(str(e))) from None
                raise
