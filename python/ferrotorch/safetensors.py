"""The safetensors format (`ferrotorch.safetensors`), with the API of `safetensors.torch`.

A file is: an 8-byte little-endian header length N, N bytes of UTF-8 JSON (padded with spaces to
a multiple of 8), then the tensors' raw little-endian bytes. The header maps each name to
`{"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}` (offsets into the data that
follows it) and may hold `"__metadata__"`, a str -> str dict. Tensors are laid out from the
largest dtype to the smallest so each one is aligned, as the reference implementation does.

    >>> import ferrotorch as torch
    >>> from ferrotorch import safetensors
    >>> blob = safetensors.save({"w": torch.ones(2, 3)})
    >>> safetensors.load(blob)["w"].shape
    torch.Size([2, 3])
"""
import json
import os
import struct

from . import _C
from ._utils import _dtype_name, _tensor_bytes

__all__ = ["save", "save_file", "load", "load_file", "load_metadata", "SafetensorError"]

# Code -> ferrotorch dtype name, and each code's rank in the reference implementation's dtype
# enum (tensors are written in decreasing rank, then by name, so that output matches byte for byte).
# The format has one complex dtype, C64 (complex64, interleaved real/imaginary float32); complex128
# has no code, so saving it raises as the reference implementation does.
_CODES = {"BOOL": "bool", "U8": "uint8", "I8": "int8", "I16": "int16", "F16": "float16", "BF16": "bfloat16",
          "I32": "int32", "F32": "float32", "C64": "complex64", "F64": "float64", "I64": "int64"}
_RANK = {"BOOL": 0, "U8": 1, "I8": 2, "I16": 5, "U16": 6, "F16": 7, "BF16": 8, "I32": 9, "U32": 10,
         "F32": 11, "C64": 12, "F64": 13, "I64": 14, "U64": 15}
_CODE_OF = {d: c for c, d in _CODES.items()}
_MAX_HEADER_SIZE = 100_000_000


class SafetensorError(Exception):
    """A malformed safetensors buffer (the `safetensors` package raises its own class of this name)."""


def _check_tensors(tensors):
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, torch.Tensor] but received {type(tensors)}")
    for k, v in tensors.items():
        if not isinstance(v, _C.Tensor):
            raise ValueError(f"Key `{k}` is invalid, expected torch.Tensor but received {type(v)}")
    groups = {}
    for k, v in tensors.items():
        if v.untyped_storage_nbytes():  # empty storages may share a dangling address
            groups.setdefault((str(v.device), v._storage_id()), []).append(k)
    failing = [set(names) for names in groups.values() if len(names) > 1]
    if failing:
        raise RuntimeError(
            f"Some tensors share memory, this will lead to duplicate memory on disk and potential "
            f"differences when loading them again: {failing}.\nA potential way to correctly save your "
            f"model is to use `save_model`.\nMore information at "
            f"https://huggingface.co/docs/safetensors/torch_shared_tensors")
    for k, v in tensors.items():
        if not v.is_contiguous():
            raise ValueError(
                f"You are trying to save a non contiguous tensor: `{k}` which is not allowed. It either "
                f"means you are trying to save tensors which are reference of each other in which case "
                f"it's recommended to save only the full tensors, and reslice at load time, or simply "
                f"call `.contiguous()` on your tensor to pack it before saving.")


def _check_metadata(metadata):
    if metadata is None:
        return
    if not isinstance(metadata, dict):
        raise TypeError(f"argument 'metadata': '{type(metadata).__name__}' object cannot be converted to "
                        f"'PyDict'")
    for k, v in metadata.items():
        for x in (k, v):
            if not isinstance(x, str):
                raise TypeError(f"argument 'metadata': '{type(x).__name__}' object cannot be converted to "
                                f"'PyString'")


def save(tensors, metadata=None):
    """The safetensors bytes of `tensors` (a dict of name -> contiguous, non-overlapping Tensor)
    with optional `metadata` (str -> str)."""
    _check_tensors(tensors)
    _check_metadata(metadata)
    entries = []
    for name, t in tensors.items():
        code = _CODE_OF.get(_dtype_name(t.dtype))
        if code is None:
            # The reference implementation's message (it lists its own, longer, set of dtypes).
            raise SafetensorError(f'Unknown dtype "{_dtype_name(t.dtype)}". Supported dtypes: '
                                  + ", ".join(_CODE_OF))
        entries.append((name, code, t))
    entries.sort(key=lambda e: (-_RANK[e[1]], e[0]))
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = dict(metadata)
    for name, code, t in entries:
        data = _tensor_bytes(t)
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    head += b" " * (-len(head) % 8)
    return b"".join([struct.pack("<Q", len(head)), head, *blobs])


def save_file(tensors, filename, metadata=None):
    """Writes `save(tensors, metadata)` to the file `filename` (str or PathLike)."""
    data = save(tensors, metadata)
    with open(os.fspath(filename), "wb") as f:
        f.write(data)


def _no_duplicates(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise SafetensorError(f"Error while deserializing header: duplicate field `{k}`")
        seen[k] = v
    return seen


def _read_header(data):
    if len(data) < 8:
        raise SafetensorError("Error while deserializing header: HeaderTooSmall")
    n = struct.unpack("<Q", data[:8])[0]
    if n > _MAX_HEADER_SIZE:
        raise SafetensorError("Error while deserializing header: HeaderTooLarge")
    if 8 + n > len(data):
        raise SafetensorError("Error while deserializing header: InvalidHeaderLength")
    raw = bytes(data[8:8 + n])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SafetensorError("Error while deserializing header: InvalidHeader") from None
    if not text.startswith("{"):
        raise SafetensorError("Error while deserializing header: InvalidHeaderStart")
    try:
        header = json.loads(text, object_pairs_hook=_no_duplicates)
    except ValueError as e:
        raise SafetensorError(f"Error while deserializing header: InvalidHeaderDeserialization: {e}") from None
    if not isinstance(header, dict):
        raise SafetensorError("Error while deserializing header: InvalidHeaderDeserialization")
    return 8 + n, header


def _entries(header, data_len):
    """Validated (name, code, shape, begin, end) in file order: the tensors must tile the data
    exactly, with no gaps or overlaps."""
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict)
                                     and all(isinstance(v, str) for v in metadata.values())):
        raise SafetensorError("Error while deserializing header: InvalidHeaderDeserialization: "
                              "__metadata__ must map str to str")
    entries = []
    for name, info in header.items():
        try:
            code, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
            ok = (isinstance(code, str) and all(type(s) is int and s >= 0 for s in shape)
                  and type(begin) is int and type(end) is int)
        except (KeyError, TypeError, ValueError):
            ok = False
        if not ok:
            raise SafetensorError(f"Error while deserializing header: InvalidHeaderDeserialization: "
                                  f"bad entry for tensor `{name}`")
        entries.append((name, code, list(shape), begin, end))
    entries.sort(key=lambda e: (e[3], e[4]))
    start = 0
    for name, code, shape, begin, end in entries:
        if begin != start or end < begin:
            raise SafetensorError(f"Error while deserializing header: InvalidOffset({name})")
        numel = 1
        for s in shape:
            numel *= s
        if code in _CODES and (end - begin) != numel * getattr(_C, _CODES[code]).itemsize:
            raise SafetensorError(f"Error while deserializing header: TensorInvalidInfo for `{name}`")
        start = end
    if start != data_len:
        raise SafetensorError("Error while deserializing header: MetadataIncompleteBuffer")
    return entries


def _load(data, device):
    if isinstance(device, int):  # safetensors' convention: an int is a CUDA ordinal
        device = f"cuda:{device}"
    begin_data, header = _read_header(data)
    out = {}
    for name, code, shape, begin, end in _entries(header, len(data) - begin_data):
        if code not in _CODES:
            raise TypeError(f"ferrotorch has no dtype for safetensors dtype {code} (tensor `{name}`)")
        t = _C._tensor_from_bytes(bytes(data[begin_data + begin:begin_data + end]), shape, _CODES[code])
        out[name] = t if str(device) == "cpu" else t.to(device)
    return out


def load(data):
    """The dict of tensors stored in the safetensors bytes `data`."""
    return _load(memoryview(data), "cpu")


def load_file(filename, device="cpu"):
    """The dict of tensors stored in the safetensors file `filename`, placed on `device`."""
    with open(os.fspath(filename), "rb") as f:
        data = f.read()
    return _load(memoryview(data), device)


def load_metadata(data):
    """The `__metadata__` dict of safetensors bytes `data` (None when it has none)."""
    return _read_header(memoryview(data))[1].get("__metadata__")
