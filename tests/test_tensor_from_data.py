"""`torch.tensor(data)` from nested Python data: the dtype is the promotion of every leaf's own
dtype, any sequence nests, one-element tensors are leaves, and bad data gets PyTorch's errors.
Every expectation below was checked against PyTorch 2.15."""
import array
import collections
import decimal
import fractions

import numpy as np
import pytest

import ferrotorch as torch


class PlainSequence:
    """Only `__len__` and `__getitem__`: Python's sequence protocol, nothing more."""

    def __len__(self):
        return 2

    def __getitem__(self, i):
        if i >= 2:
            raise IndexError(i)
        return i * 1.5


@pytest.mark.parametrize("data,dtype", [
    ([np.int32(1)], torch.int32),
    ([np.float64(1)], torch.float64),
    ([np.float16(1)], torch.float16),
    ([np.uint8(1)], torch.uint8),
    ([np.bool_(True)], torch.bool),
    ([np.complex128(1 + 1j)], torch.complex128),
    # Leaves promote as torch.promote_types does, with Python numbers as int64 / default dtypes.
    ([np.int32(1), 2], torch.int64),
    ([np.int32(1), True], torch.int32),
    ([np.float32(1), 2.0], torch.float32),
    ([np.int32(1), 2.5], torch.float32),
    ([np.float32(1), np.float64(2)], torch.float64),
    ([np.int8(1), np.int16(2)], torch.int16),
    ([np.uint8(1), np.int8(2)], torch.int16),
    ([np.float16(1), 3], torch.float16),
    ([np.complex64(1), np.float64(1)], torch.complex128),
    ([[np.int16(1)], [np.int16(2)]], torch.int16),
    ([np.array([1, 2], dtype=np.int8), np.array([1.5, 2], dtype=np.float32)], torch.float32),
    ([torch.tensor(1, dtype=torch.int16), 2], torch.int64),
    ([torch.tensor(1.5, dtype=torch.float64), 1], torch.float64),
    ([np.float16(1), torch.tensor(1, dtype=torch.bfloat16)], torch.float32),
    ([torch.tensor(True), 2.5], torch.float32),
    ([True, 2], torch.int64),
])
def test_dtype_is_the_promotion_of_the_leaves(data, dtype):
    assert torch.tensor(data).dtype == dtype


def test_numpy_leaves_keep_their_values():
    t = torch.tensor([np.uint8(200), np.int8(-3)])
    assert t.dtype == torch.int16 and t.tolist() == [200, -3]
    assert torch.tensor([np.float64(0.1)]).item() == 0.1
    assert torch.tensor([[np.int16(1)], [np.int16(2)]]).tolist() == [[1], [2]]


def test_default_dtype_counts_for_python_floats_only():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        assert torch.tensor([np.float32(1), 2.0]).dtype == torch.float64
        assert torch.tensor([np.float32(1), np.float32(2)]).dtype == torch.float32
        assert torch.tensor([np.int32(1), 2.0]).dtype == torch.float64
    finally:
        torch.set_default_dtype(old)


@pytest.mark.parametrize("data,expected", [
    (range(5), [0, 1, 2, 3, 4]),
    (range(2, 10, 3), [2, 5, 8]),
    ([range(3), range(3)], [[0, 1, 2], [0, 1, 2]]),
    (PlainSequence(), [0.0, 1.5]),
    ([PlainSequence(), PlainSequence()], [[0.0, 1.5], [0.0, 1.5]]),
    (array.array("d", [1, 2]), [1.0, 2.0]),
    (collections.deque([1, 2]), [1, 2]),
    (bytearray(b"a"), [97]),
    ([np.ones((2, 2), dtype=np.float32)], [[[1.0, 1.0], [1.0, 1.0]]]),
])
def test_any_sequence_nests(data, expected):
    assert torch.tensor(data).tolist() == expected


def test_sequence_kinds_in_other_constructors():
    assert torch.tensor(range(0)).dtype == torch.float32 and torch.tensor(range(0)).shape == (0,)
    assert torch.as_tensor(range(3), dtype=torch.float16).dtype == torch.float16
    assert torch.as_tensor([np.int16(1)]).dtype == torch.int16
    assert torch.Tensor(range(3)).tolist() == [0.0, 1.0, 2.0]
    assert torch.LongTensor(range(3)).tolist() == [0, 1, 2]
    assert torch.tensor([1.0]).new_tensor(range(3)).dtype == torch.float32


def test_one_element_tensors_are_leaves_whatever_their_ndim():
    t = torch.tensor([torch.tensor([1], dtype=torch.int16), torch.tensor([3], dtype=torch.int8)])
    assert t.dtype == torch.int16 and t.shape == (2,) and t.tolist() == [1, 3]
    assert torch.tensor([torch.ones(1, 1), torch.ones(1, 1)]).shape == (2,)
    assert torch.tensor([[torch.tensor([1])], [torch.tensor([2])]]).tolist() == [[1], [2]]
    # Below the leaves' level a tensor is one more sequence.
    assert torch.tensor([[1, 2], torch.tensor([3, 4])]).tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("dtype,cls,msg", [
    (None, ValueError, "only one element tensors can be converted to Python scalars"),
    (torch.float32, ValueError, "only one element tensors can be converted to Python scalars"),
    (torch.complex64, ValueError, "only one element tensors can be converted to Python scalars"),
    (torch.int64, TypeError, "only integer tensors of a single element can be converted to an index"),
    (torch.bool, TypeError, "only integer tensors of a single element can be converted to an index"),
])
def test_bigger_tensors_are_not_leaves(dtype, cls, msg):
    with pytest.raises(cls, match=msg):
        torch.tensor([torch.ones(2)], dtype=dtype)
    with pytest.raises(cls, match=msg):
        torch.tensor([torch.zeros(0)], dtype=dtype)


def test_empty_data_is_not_walked():
    assert torch.tensor([[], []]).shape == (2, 0)
    assert torch.tensor([[], [1]]).shape == (2, 0)


def test_complex_leaves():
    assert torch.tensor([1 + 2j], dtype=torch.bool).tolist() == [True]
    assert torch.tensor([0j, 1], dtype=torch.bool).tolist() == [False, True]
    assert torch.tensor([np.complex64(1 + 2j)], dtype=torch.float32).tolist() == [1.0]
    with pytest.raises(TypeError, match="must be real number, not complex"):
        torch.tensor([1 + 2j], dtype=torch.float32)
    with pytest.raises(TypeError, match="'complex' object cannot be interpreted as an integer"):
        torch.tensor([1 + 2j], dtype=torch.int64)
    with pytest.raises(RuntimeError, match="value cannot be converted to type double without overflow"):
        torch.tensor([torch.tensor(1 + 2j)], dtype=torch.float32)


@pytest.mark.parametrize("data,dtype,cls,msg", [
    ("abc", None, TypeError, "new\\(\\): invalid data type 'str'"),
    (b"ab", None, TypeError, "new\\(\\): invalid data type 'bytes'"),
    (["a"], None, ValueError, "too many dimensions 'str'"),
    ([np.str_("a")], None, ValueError, "too many dimensions 'str'"),
    ([np.array(["a"])], None, ValueError, "too many dimensions 'str'"),
    ([1, "a"], None, TypeError, "new\\(\\): invalid data type 'str'"),
    ([b"ab"], None, TypeError, "new\\(\\): invalid data type 'bytes'"),
    (object(), None, RuntimeError, "Could not infer dtype of object"),
    (None, None, RuntimeError, "Could not infer dtype of NoneType"),
    ([None], None, RuntimeError, "Could not infer dtype of NoneType"),
    ({1: 2}, None, RuntimeError, "Could not infer dtype of dict"),
    ({1, 2}, None, RuntimeError, "Could not infer dtype of set"),
    ({"a": 1}.keys(), None, RuntimeError, "Could not infer dtype of dict_keys"),
    ((i for i in range(3)), None, RuntimeError, "Could not infer dtype of generator"),
    (fractions.Fraction(1, 2), None, RuntimeError, "Could not infer dtype of Fraction"),
    ([decimal.Decimal(1)], None, RuntimeError, "Could not infer dtype of decimal.Decimal"),
    ([1, decimal.Decimal(1)], None, RuntimeError, "Could not infer dtype of decimal.Decimal"),
    ([np.array(2)], None, TypeError, "len\\(\\) of unsized object"),
    ([np.longdouble(1)], None, TypeError, "can't convert np.ndarray of type numpy.longdouble"),
    ([np.datetime64(1, "s")], None, TypeError, "can't convert np.ndarray of type numpy.datetime64"),
    # Ragged data: the shape comes from the first elements.
    ([[1, 2], [3]], None, ValueError, "expected sequence of length 2 at dim 1 \\(got 1\\)"),
    ([range(2), range(3)], None, ValueError, "expected sequence of length 2 at dim 1 \\(got 3\\)"),
    ([np.array([1, 2]), np.array([1])], None, ValueError, "expected sequence of length 2 at dim 1 \\(got 1\\)"),
    ([[1.0], 2.0], None, TypeError, "not a sequence"),
    ([1, [2]], None, TypeError, "'list' object cannot be interpreted as an integer"),
    ([True, [1]], None, TypeError, "'list' object cannot be interpreted as an integer"),
    ([1.0, [2]], None, TypeError, "must be real number, not list"),
    ([1j, [1]], None, TypeError, "must be real number, not list"),
    ([1, None], torch.float32, TypeError, "must be real number, not NoneType"),
    ([1, "a"], torch.float32, TypeError, "must be real number, not str"),
    ([1, None], torch.int32, TypeError, "'NoneType' object cannot be interpreted as an integer"),
    ([True, None], torch.bool, TypeError, "'NoneType' object cannot be interpreted as an integer"),
])
def test_bad_data_gets_pytorchs_error(data, dtype, cls, msg):
    with pytest.raises(cls, match=msg):
        torch.tensor(data, dtype=dtype)


def test_unsigned_numpy_scalars_wider_than_a_byte_convert_exactly():
    # ferrotorch has no uint16/uint32/uint64: their scalars become int64 with the same value,
    # while arrays of them are refused as in from_numpy.
    t = torch.tensor([np.uint16(1), np.uint32(2**32 - 1), np.uint64(5)])
    assert t.dtype == torch.int64 and t.tolist() == [1, 2**32 - 1, 5]
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.uint16"):
        torch.tensor([np.array([1], dtype=np.uint16)])
