"""ferrotorch.utils.data: datasets, random_split, samplers and default_collate/default_convert,
checked against numpy values and PyTorch's documented behaviour (sizes, dtypes, errors)."""
import collections
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch.utils.data import (BatchSampler, ChainDataset, ConcatDataset, Dataset, IterableDataset,
                                   RandomSampler, SequentialSampler, StackDataset, Subset,
                                   SubsetRandomSampler, TensorDataset, WeightedRandomSampler,
                                   default_collate, default_convert, random_split)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i


class Count(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


# ------------------------------------------------------------------ datasets

def test_tensor_dataset_indexes_every_tensor_on_dim0():
    x = np.arange(12.0).reshape(4, 3)
    ds = TensorDataset(torch.tensor(x).T.T, torch.arange(4))  # a non-contiguous view indexes the same
    assert len(ds) == 4
    a, b = ds[2]
    np.testing.assert_array_equal(a.numpy(), x[2])
    assert b.item() == 2 and b.dim() == 0
    sl = ds[1:3]
    np.testing.assert_array_equal(sl[0].numpy(), x[1:3])
    xt = TensorDataset(torch.tensor(x).T)  # transposed: 3 samples of 4
    np.testing.assert_array_equal(xt[1][0].numpy(), x.T[1])


def test_tensor_dataset_size_mismatch():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(torch.zeros(3, 2), torch.zeros(4))


def test_tensor_dataset_empty():
    ds = TensorDataset(torch.zeros(0, 2), torch.zeros(0))
    assert len(ds) == 0


def test_concat_dataset_and_add():
    a, b = Squares(3), Squares(2)
    cat = a + b
    assert isinstance(cat, ConcatDataset)
    assert cat.cumulative_sizes == [3, 5]
    assert [cat[i] for i in range(5)] == [0, 1, 4, 0, 1]
    assert cat[-1] == 1 and cat[-5] == 0
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        cat[-6]
    with pytest.raises(IndexError):
        cat[5]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([a, Count(2)])
    # Empty members are skipped over.
    assert [ConcatDataset([Squares(0), Squares(2)])[i] for i in range(2)] == [0, 1]


def test_chain_and_stack_dataset():
    chain = Count(2) + Count(3)
    assert isinstance(chain, ChainDataset)
    assert list(chain) == [0, 1, 0, 1, 2] and len(chain) == 5
    st = StackDataset(Squares(3), list("abc"))
    assert st[2] == (4, "c") and len(st) == 3
    assert StackDataset(x=Squares(2), y=[7, 8])[1] == {"x": 1, "y": 8}
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(Squares(2), [1])


def test_subset():
    ds = Squares(10)
    sub = Subset(ds, [9, 2, 5])
    assert len(sub) == 3
    assert [sub[i] for i in range(3)] == [81, 4, 25]
    assert sub.__getitems__([2, 0]) == [25, 81]
    t = TensorDataset(torch.arange(10) * 3)
    assert Subset(t, [4, 1])[[1, 0]][0].tolist() == [3, 12]  # list index goes to the dataset at once


def test_base_classes_are_abstract():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    with pytest.raises(TypeError, match="abstract"):
        IterableDataset()


# ------------------------------------------------------------------ random_split

def test_random_split_counts_disjoint_and_reproducible():
    ds = Squares(10)
    parts = random_split(ds, [3, 7], generator=gen(1))
    assert [len(p) for p in parts] == [3, 7]
    idx = parts[0].indices + parts[1].indices
    assert sorted(idx) == list(range(10))  # disjoint and covering
    # The split is randperm(10) cut in order, so a seed reproduces it exactly.
    assert idx == torch.randperm(10, generator=gen(1)).tolist()
    again = random_split(ds, [3, 7], generator=gen(1))
    assert [p.indices for p in again] == [p.indices for p in parts]
    assert [parts[0][i] for i in range(3)] == [i * i for i in parts[0].indices]


def test_random_split_default_generator_follows_manual_seed():
    torch.manual_seed(5)
    a = [p.indices for p in random_split(range(8), [4, 4])]
    torch.manual_seed(5)
    b = [p.indices for p in random_split(range(8), [4, 4])]
    assert a == b


@pytest.mark.parametrize("n,fracs,expected", [
    (10, [0.3, 0.7], [3, 7]),
    (10, [0.33, 0.33, 0.34], [4, 3, 3]),  # floors 3,3,3; the leftover item goes to the first split
    (11, [0.5, 0.5], [6, 5]),
    (7, [0.25, 0.25, 0.25, 0.25], [2, 2, 2, 1]),
])
def test_random_split_fractions(n, fracs, expected):
    parts = random_split(range(n), fracs, generator=gen(0))
    assert [len(p) for p in parts] == expected
    assert sorted(sum((p.indices for p in parts), [])) == list(range(n))


def test_random_split_errors_and_warning():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        random_split(range(5), [2, 2])
    with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
        random_split(range(5), [0.5, 1.5, -1.0])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        parts = random_split(range(2), [0.9, 0.1], generator=gen(0))
    assert [len(p) for p in parts] == [2, 0]


# ------------------------------------------------------------------ samplers

def test_sequential_and_batch_sampler():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    assert len(SequentialSampler(range(4))) == 4
    bs = BatchSampler(SequentialSampler(range(7)), 3, False)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6]] and len(bs) == 3
    bs = BatchSampler(SequentialSampler(range(7)), 3, True)
    assert list(bs) == [[0, 1, 2], [3, 4, 5]] and len(bs) == 2
    assert list(BatchSampler(range(0), 2, False)) == [] and len(BatchSampler(range(0), 2, False)) == 0
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value, but got drop_last=1"):
        BatchSampler(range(3), 2, 1)


def test_random_sampler_permutation_and_generator():
    s = RandomSampler(range(10), generator=gen(3))
    first = list(s)
    assert sorted(first) == list(range(10)) and len(s) == 10
    assert first == torch.randperm(10, generator=gen(3)).tolist()
    assert list(RandomSampler(range(10), generator=gen(3))) == first
    # More samples than items: whole permutations, then part of another.
    s = RandomSampler(range(4), num_samples=10, generator=gen(0))
    out = list(s)
    assert len(out) == 10 and sorted(out[:4]) == [0, 1, 2, 3] and sorted(out[4:8]) == [0, 1, 2, 3]
    assert len(set(out[8:])) == 2


def test_random_sampler_replacement():
    out = list(RandomSampler(range(5), replacement=True, num_samples=70, generator=gen(0)))
    assert len(out) == 70 and set(out) <= set(range(5)) and len(set(out)) == 5
    assert out == list(RandomSampler(range(5), replacement=True, num_samples=70, generator=gen(0)))


def test_random_sampler_global_seed():
    torch.manual_seed(0)
    a = list(RandomSampler(range(20)))
    b = list(RandomSampler(range(20)))
    torch.manual_seed(0)
    assert list(RandomSampler(range(20))) == a
    assert a != b  # each pass draws a fresh seed


def test_random_sampler_errors():
    with pytest.raises(TypeError, match="replacement should be a boolean value, but got replacement=0"):
        RandomSampler(range(3), replacement=0)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=0"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=0"):
        RandomSampler(range(0))


def test_subset_random_sampler():
    idx = [10, 20, 30, 40]
    out = list(SubsetRandomSampler(idx, generator=gen(2)))
    assert sorted(out) == idx and len(SubsetRandomSampler(idx)) == 4
    assert out == [idx[i] for i in torch.randperm(4, generator=gen(2)).tolist()]


def test_weighted_random_sampler():
    w = [0.0, 1.0, 3.0, 0.0]
    out = list(WeightedRandomSampler(w, 4000, generator=gen(0)))
    assert len(out) == 4000 and set(out) == {1, 2}
    assert abs(out.count(2) / 4000 - 0.75) < 0.03
    assert out == torch.multinomial(torch.tensor(w, dtype=torch.float64), 4000, True, generator=gen(0)).tolist()
    no_rep = list(WeightedRandomSampler([1.0, 2.0, 3.0], 3, replacement=False, generator=gen(1)))
    assert sorted(no_rep) == [0, 1, 2]
    with pytest.raises(ValueError, match=r"weights should be a 1d sequence but given weights have shape \(1, 2\)"):
        WeightedRandomSampler([[1.0, 2.0]], 2)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=True"):
        WeightedRandomSampler([1.0], True)


# ------------------------------------------------------------------ collate

def test_collate_tensors_stack():
    x = np.arange(6.0).reshape(2, 3)
    ts = [torch.tensor(x).T, torch.tensor(x + 1).T]  # non-contiguous samples
    out = default_collate(ts)
    np.testing.assert_array_equal(out.numpy(), np.stack([x.T, x.T + 1]))
    out = default_collate([torch.tensor(1.5), torch.tensor(2.5)])  # 0-d samples
    assert out.shape == (2,) and out.tolist() == [1.5, 2.5]
    assert default_collate([torch.zeros(0, 2)] * 3).shape == (3, 0, 2)
    with pytest.raises(RuntimeError):
        default_collate([torch.zeros(2), torch.zeros(3)])


def test_collate_numbers_strings_numpy():
    f = default_collate([1.5, 2.0])
    assert f.dtype == torch.float64 and f.tolist() == [1.5, 2.0]
    i = default_collate([1, 2, 3])
    assert i.dtype == torch.int64 and i.tolist() == [1, 2, 3]
    assert default_collate([True, False]).dtype == torch.bool
    assert default_collate(["a", "b"]) == ["a", "b"]
    assert default_collate([b"a", b"b"]) == [b"a", b"b"]
    arrs = [np.arange(3, dtype=np.float32), np.arange(3, dtype=np.float32) * 2]
    out = default_collate(arrs)
    assert out.dtype == torch.float32
    np.testing.assert_array_equal(out.numpy(), np.stack(arrs))
    sc = default_collate([np.float64(1.0), np.float64(2.5)])
    assert sc.dtype == torch.float64 and sc.tolist() == [1.0, 2.5]
    assert default_collate([np.int32(1), np.int32(2)]).dtype == torch.int32
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy arrays, numbers"):
        default_collate([np.array(["x"]), np.array(["y"])])
    with pytest.raises(TypeError, match="found <class 'object'>"):
        default_collate([object(), object()])


Point = collections.namedtuple("Point", "x y")


def test_collate_nested_containers():
    batch = [{"img": np.ones(2), "label": 1, "meta": ("a", 0.5)},
             {"img": np.zeros(2), "label": 0, "meta": ("b", 1.5)}]
    out = default_collate(batch)
    assert set(out) == {"img", "label", "meta"}
    np.testing.assert_array_equal(out["img"].numpy(), [[1.0, 1.0], [0.0, 0.0]])
    assert out["label"].tolist() == [1, 0]
    assert out["meta"][0] == ("a", "b") and out["meta"][1].tolist() == [0.5, 1.5]
    od = default_collate([collections.OrderedDict(b=1, a=2)] * 2)
    assert isinstance(od, collections.OrderedDict) and list(od) == ["b", "a"]
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3] and p.y.dtype == torch.float64
    t = default_collate([(torch.zeros(2), 1), (torch.ones(2), 2)])
    assert isinstance(t, list) and t[0].shape == (2, 2) and t[1].tolist() == [1, 2]
    lst = default_collate([[1, 2], [3, 4]])
    assert isinstance(lst, list) and [x.tolist() for x in lst] == [[1, 3], [2, 4]]
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])


def test_default_convert():
    a = np.arange(4).reshape(2, 2)
    out = default_convert({"a": a, "s": "x", "t": (np.float32(1.0), 3)})
    assert isinstance(out["a"], torch.Tensor) and out["a"].tolist() == a.tolist()
    assert out["s"] == "x"
    assert isinstance(out["t"], list) and out["t"][0].dtype == torch.float32 and out["t"][1] == 3
    t = torch.ones(2)
    assert default_convert(t) is t
    p = default_convert(Point(np.zeros(1), 2))
    assert isinstance(p, Point) and isinstance(p.x, torch.Tensor)
    strs = np.array(["a", "b"])
    assert default_convert(strs) is strs
    assert default_convert(5) == 5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert default_convert([np.int64(2)])[0].dtype == torch.int64


def test_docstring_examples():
    import doctest
    import ferrotorch.utils.data as data
    from ferrotorch.utils.data import _utils, dataloader, dataset, sampler
    for mod in (data, dataset, sampler, dataloader, _utils.collate):
        result = doctest.testmod(mod)
        assert result.failed == 0 and result.attempted > 0, mod.__name__


def test_collate_fn_map_extension():
    from ferrotorch.utils.data._utils.collate import collate, default_collate_fn_map

    class Box:
        def __init__(self, v):
            self.v = v

    fmap = dict(default_collate_fn_map)
    fmap[Box] = lambda batch, *, collate_fn_map=None: sum(b.v for b in batch)
    out = collate([{"b": Box(1), "x": 1.0}, {"b": Box(2), "x": 2.0}], collate_fn_map=fmap)
    assert out["b"] == 3 and out["x"].dtype == torch.float64

    class Tagged(list):
        pass

    t = default_collate([Tagged([1, 2]), Tagged([3, 4])])
    assert type(t) is Tagged and [x.tolist() for x in t] == [[1, 3], [2, 4]]


def test_generic_subscripting():
    # PyTorch's classes are Generic, so annotated subclasses like Dataset[int] must work.
    class Ints(Dataset[int]):
        def __getitem__(self, i):
            return i

        def __len__(self):
            return 3

    class Stream(IterableDataset[int]):
        def __iter__(self):
            return iter([1, 2])

    from ferrotorch.utils.data import DataLoader, Sampler
    assert [b.tolist() for b in DataLoader(Ints(), batch_size=2)] == [[0, 1], [2]]
    assert list(Stream() + Stream()) == [1, 2, 1, 2]
    assert Sampler[int] is not None and DataLoader[int] is not None
