"""shaders/math_f64.wgsl, the software float64 math library, run standalone through wgpu-py.

Vulkan has no 64-bit exp/log/sin/..., so float64 kernels call these WGSL functions instead.
Each function is wrapped in a one-line kernel (`out[i] = exp_f64(in0[i])`) and run on a few
thousand inputs (log-uniform magnitudes over its domain, both signs, subnormals, values next
to the domain boundaries), then compared with Python's math module (glibc: < 1 ulp for most
functions): a bound on the relative error that a float32 implementation would miss by eight
orders of magnitude, and exact results for the special values C99 Annex F prescribes (NaN
where NaN, signed zeros, infinities). Relative errors are measured against
max(|reference|, smallest normal), so subnormal results are held to a few subnormal ulps."""
import math
import os
import re
import zlib

import numpy as np
import pytest

from conftest import requires_gpu

wgpu = pytest.importorskip("wgpu", reason="wgpu-py is not installed (pip install wgpu)")

STORAGE = wgpu.BufferUsage.STORAGE | wgpu.BufferUsage.COPY_SRC | wgpu.BufferUsage.COPY_DST
LIBRARY = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "shaders", "math_f64.wgsl")
TINY = np.finfo(np.float64).tiny
MIN_SUB = 5e-324
INF, NAN = math.inf, math.nan
PI, PIO2, PIO4 = math.pi, math.pi / 2, math.pi / 4

FUNCTIONS = [
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "asin", "acos", "atan",
    "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "sigmoid", "erf", "erfc", "erfinv", "pow",
]


def _library():
    with open(LIBRARY) as f:
        return f.read()


@pytest.fixture(scope="module")
def gpu():
    """(device, library source, pipeline cache), with the same software-adapter policy as
    ferrotorch's own context. Only shader-f64 is requested: the library must not need int64."""
    adapter = wgpu.gpu.request_adapter_sync(power_preference="high-performance")
    assert adapter is not None
    if adapter.info.get("adapter_type", "").lower() == "cpu" and os.environ.get("FERROTORCH_ALLOW_SOFTWARE_GPU") != "1":
        pytest.skip("only a software adapter, and FERROTORCH_ALLOW_SOFTWARE_GPU is not set")
    if "shader-f64" not in adapter.features:
        pytest.skip("the adapter has no shader-f64")
    return adapter.request_device_sync(required_features=["shader-f64"]), _library(), {}


def _pipeline(gpu, fn, nargs):
    device, library, cache = gpu
    if (fn, nargs) not in cache:
        inputs = "".join(f"@group(0) @binding({k + 1}) var<storage, read> in{k}: array<f64>;\n" for k in range(nargs))
        args = ", ".join(f"in{k}[i]" for k in range(nargs))
        src = library + f"""
@group(0) @binding(0) var<storage, read_write> out: array<f64>;
{inputs}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {{
    let i = gid.x;
    if (i < arrayLength(&out)) {{
        out[i] = {fn}({args});
    }}
}}
"""
        module = device.create_shader_module(code=src)
        cache[(fn, nargs)] = device.create_compute_pipeline(layout="auto", compute={"module": module, "entry_point": "main"})
    return cache[(fn, nargs)]


def run(gpu, name, *args):
    """out[i] = name_f64(args[0][i], ...) on the GPU."""
    device = gpu[0]
    pipeline = _pipeline(gpu, name + "_f64", len(args))
    arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in args]
    n = len(arrays[0])
    bufs = [device.create_buffer_with_data(data=np.zeros(n).tobytes(), usage=STORAGE)]
    bufs += [device.create_buffer_with_data(data=a.tobytes(), usage=STORAGE) for a in arrays]
    entries = [{"binding": k, "resource": {"buffer": b, "offset": 0, "size": b.size}} for k, b in enumerate(bufs)]
    group = device.create_bind_group(layout=pipeline.get_bind_group_layout(0), entries=entries)
    enc = device.create_command_encoder()
    cp = enc.begin_compute_pass()
    cp.set_pipeline(pipeline)
    cp.set_bind_group(0, group)
    cp.dispatch_workgroups((n + 63) // 64, 1, 1)
    cp.end()
    device.queue.submit([enc.finish()])
    return np.frombuffer(device.queue.read_buffer(bufs[0]), dtype=np.float64).copy()


# ----------------------------------------------------------------------------- comparisons

def _safe(f):
    """f, with math's domain/overflow exceptions turned into NaN (those points are skipped)."""
    def g(*a):
        try:
            return f(*a)
        except (OverflowError, ValueError):
            return NAN
    return g


def reference(f, *args):
    return np.array([_safe(f)(*a) for a in zip(*args)], dtype=np.float64)


def check_close(label, args, got, ref, bound):
    """Max relative error over the points where the reference is finite; returns it."""
    ok = np.isfinite(ref)
    assert ok.sum() > 0.9 * len(ref), f"{label}: too few finite reference values"
    bad = ~np.isfinite(got[ok])
    assert not bad.any(), f"{label}: non-finite results at {[a[ok][bad][:3] for a in args]}"
    err = np.abs(got[ok] - ref[ok]) / np.maximum(np.abs(ref[ok]), TINY)
    w = np.argmax(err)
    at = ", ".join(repr(float(a[ok][w])) for a in args)
    assert err[w] <= bound, f"{label}({at}) = {got[ok][w]!r}, expected {ref[ok][w]!r}: relative error {err[w]:.3g} > {bound:.3g}"
    return err[w]


def same(got, want):
    """Exact agreement: NaN matches NaN, zeros must have the same sign."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return (np.isnan(got) & np.isnan(want)) | ((got == want) & (np.signbit(got) == np.signbit(want)))


def check_exact(label, args, got, want):
    bad = ~same(got, want)
    msgs = [f"{label}({', '.join(repr(float(a[i])) for a in args)}) = {got[i]!r}, expected {want[i]!r}" for i in np.flatnonzero(bad)]
    assert not msgs, f"{len(msgs)} special values wrong:\n" + "\n".join(msgs[:20])


# ----------------------------------------------------------------------------- inputs

N = 3000


def _rng(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def logu(rng, lo, hi, n=N):
    """Magnitudes log-uniform between 10^lo and 10^hi."""
    return 10.0 ** rng.uniform(lo, hi, n)


def signed(rng, x):
    return x * rng.choice([-1.0, 1.0], len(x))


def inputs(name):
    r = _rng(name)

    def u(lo, hi, n=N):
        return r.uniform(lo, hi, n)

    subnormal = signed(r, logu(r, -323.3, -307.7, 100))
    near1 = np.concatenate([1.0 - logu(r, -16, -1, 300), 1.0 + logu(r, -16, -1, 300)])
    below1 = 1.0 - logu(r, -16, -0.3, 300)
    domain = {
        "exp": [u(-745.1, 709.78), signed(r, logu(r, -300, 0.5)), subnormal],
        "exp2": [u(-1074, 1023.99), signed(r, logu(r, -300, 0.5)), subnormal],
        "expm1": [u(-50, 709.78), signed(r, logu(r, -300, 0.5)), subnormal],
        "log": [logu(r, -307, 308), near1, np.abs(subnormal)],
        "log1p": [logu(r, -307, 308), -logu(r, -300, 0, N // 2), -1.0 + logu(r, -16, -0.5, 300), subnormal],
        # sin/cos/tan: full accuracy over the whole range (Payne-Hanek above 2^22).
        "sin": [signed(r, logu(r, -300, 5)), signed(r, logu(r, 5, 308, 600)), subnormal,
                signed(r, np.round(logu(r, 0, 12, 300)) * PIO2), signed(r, 2.0 ** np.arange(0, 1024, 7))],
        "atan": [signed(r, logu(r, -300, 300)), subnormal],
        "asin": [u(-1, 1), signed(r, logu(r, -300, 0)), signed(r, below1), subnormal],
        "sinh": [u(-710.4, 710.4), signed(r, logu(r, -300, 1)), subnormal],
        "tanh": [u(-25, 25), signed(r, logu(r, -300, 1)), subnormal],
        "asinh": [signed(r, logu(r, -300, 308)), subnormal],
        "acosh": [1.0 + logu(r, -16, 308), np.array([1.0 + 2.0**-52, 1e308])],
        "atanh": [u(-1, 1), signed(r, logu(r, -300, 0)), signed(r, below1), subnormal],
        "sigmoid": [u(-745, 745), signed(r, logu(r, -300, 1)), subnormal],
        "erf": [u(-7, 7), signed(r, logu(r, -300, 0.5)), subnormal],
        # erfc keeps its relative accuracy down to the smallest normal result (x ~ 26.5).
        "erfc": [u(-7, 27.2), signed(r, logu(r, -300, 0.5)), u(20, 26.5, 300), subnormal],
        "erfinv": [u(-1, 1), signed(r, logu(r, -300, 0)), signed(r, below1), subnormal],
    }
    alias = {"log2": "log", "log10": "log", "cos": "sin", "tan": "sin", "acos": "asin", "cosh": "sinh"}
    return np.concatenate(domain[alias.get(name, name)])


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


# name -> (reference, bound on the relative error). The library measures <= 3 ulp against
# mpmath everywhere; the bounds leave room for the reference's own error (glibc's erfc is off
# by up to ~2.5 ulp). float32 arithmetic would be ~1e-7 off.
UNARY = {
    "exp": (math.exp, 5e-16),
    "exp2": (lambda x: 2.0**x, 5e-16),
    "expm1": (math.expm1, 5e-16),
    "log": (math.log, 5e-16),
    "log2": (math.log2, 5e-16),
    "log10": (math.log10, 5e-16),
    "log1p": (math.log1p, 5e-16),
    "sin": (math.sin, 5e-16),
    "cos": (math.cos, 5e-16),
    "tan": (math.tan, 1e-15),
    "asin": (math.asin, 1e-15),
    "acos": (math.acos, 1e-15),
    "atan": (math.atan, 5e-16),
    "sinh": (math.sinh, 1e-15),
    "cosh": (math.cosh, 1e-15),
    "tanh": (math.tanh, 1e-15),
    "asinh": (math.asinh, 1e-15),
    "acosh": (math.acosh, 1e-15),
    "atanh": (math.atanh, 1e-15),
    "sigmoid": (_sigmoid, 1e-15),
    "erf": (math.erf, 1e-15),
    "erfc": (math.erfc, 2e-15),
}

# name -> [(x, exact result)]: C99 Annex F special cases, signed zeros, overflow/underflow,
# exactly representable results.
SPECIAL = {
    "exp": [(NAN, NAN), (INF, INF), (-INF, 0.0), (0.0, 1.0), (-0.0, 1.0), (710.0, INF), (1e308, INF),
            (-746.0, 0.0), (-1e308, 0.0), (MIN_SUB, 1.0), (-MIN_SUB, 1.0)],
    "exp2": [(NAN, NAN), (INF, INF), (-INF, 0.0), (0.0, 1.0), (-0.0, 1.0), (1024.0, INF), (1023.0, 2.0**1023),
             (-1074.0, MIN_SUB), (-1075.0, 0.0), (-1022.0, TINY), (10.0, 1024.0), (-1.0, 0.5), (-2000.0, 0.0)],
    "expm1": [(NAN, NAN), (INF, INF), (-INF, -1.0), (0.0, 0.0), (-0.0, -0.0), (710.0, INF), (-40.0, -1.0),
              (-1000.0, -1.0), (MIN_SUB, MIN_SUB), (-MIN_SUB, -MIN_SUB), (1e-300, 1e-300), (-1e-300, -1e-300)],
    "log": [(NAN, NAN), (-1.0, NAN), (-INF, NAN), (-MIN_SUB, NAN), (0.0, -INF), (-0.0, -INF), (INF, INF), (1.0, 0.0)],
    "log2": [(NAN, NAN), (-1.0, NAN), (0.0, -INF), (-0.0, -INF), (INF, INF), (1.0, 0.0), (8.0, 3.0), (0.5, -1.0),
             (MIN_SUB, -1074.0), (TINY, -1022.0), (2.0**1023, 1023.0)],
    "log10": [(NAN, NAN), (-1.0, NAN), (0.0, -INF), (-0.0, -INF), (INF, INF), (1.0, 0.0), (1000.0, 3.0),
              (1e22, 22.0), (0.001, -3.0)],
    "log1p": [(NAN, NAN), (-1.0, -INF), (-2.0, NAN), (-INF, NAN), (INF, INF), (0.0, 0.0), (-0.0, -0.0),
              (MIN_SUB, MIN_SUB), (-MIN_SUB, -MIN_SUB), (1e-300, 1e-300), (-1e-300, -1e-300)],
    "sin": [(NAN, NAN), (INF, NAN), (-INF, NAN), (0.0, 0.0), (-0.0, -0.0), (MIN_SUB, MIN_SUB), (-1e-300, -1e-300)],
    "cos": [(NAN, NAN), (INF, NAN), (-INF, NAN), (0.0, 1.0), (-0.0, 1.0), (MIN_SUB, 1.0), (1e-9, 1.0)],
    "tan": [(NAN, NAN), (INF, NAN), (-INF, NAN), (0.0, 0.0), (-0.0, -0.0), (MIN_SUB, MIN_SUB), (-1e-300, -1e-300)],
    "asin": [(NAN, NAN), (2.0, NAN), (-1.0000000000000002, NAN), (INF, NAN), (0.0, 0.0), (-0.0, -0.0),
             (1.0, PIO2), (-1.0, -PIO2), (-MIN_SUB, -MIN_SUB)],
    "acos": [(NAN, NAN), (2.0, NAN), (-2.0, NAN), (-INF, NAN), (1.0, 0.0), (-1.0, PI), (0.0, PIO2), (-0.0, PIO2)],
    "atan": [(NAN, NAN), (INF, PIO2), (-INF, -PIO2), (0.0, 0.0), (-0.0, -0.0), (1.0, PIO4), (-MIN_SUB, -MIN_SUB),
             (1e300, PIO2)],
    "sinh": [(NAN, NAN), (INF, INF), (-INF, -INF), (0.0, 0.0), (-0.0, -0.0), (711.0, INF), (-711.0, -INF),
             (MIN_SUB, MIN_SUB), (-1e-300, -1e-300)],
    "cosh": [(NAN, NAN), (INF, INF), (-INF, INF), (0.0, 1.0), (-0.0, 1.0), (711.0, INF), (-711.0, INF), (1e-9, 1.0)],
    "tanh": [(NAN, NAN), (INF, 1.0), (-INF, -1.0), (0.0, 0.0), (-0.0, -0.0), (30.0, 1.0), (-30.0, -1.0),
             (MIN_SUB, MIN_SUB), (-1e-300, -1e-300)],
    "asinh": [(NAN, NAN), (INF, INF), (-INF, -INF), (0.0, 0.0), (-0.0, -0.0), (MIN_SUB, MIN_SUB), (-1e-300, -1e-300)],
    "acosh": [(NAN, NAN), (1.0, 0.0), (0.5, NAN), (0.0, NAN), (-INF, NAN), (INF, INF)],
    "atanh": [(NAN, NAN), (1.0, INF), (-1.0, -INF), (0.0, 0.0), (-0.0, -0.0), (1.0000000000000002, NAN),
              (-2.0, NAN), (INF, NAN), (MIN_SUB, MIN_SUB), (-1e-300, -1e-300)],
    "sigmoid": [(NAN, NAN), (INF, 1.0), (-INF, 0.0), (0.0, 0.5), (-0.0, 0.5), (800.0, 1.0), (40.0, 1.0), (-800.0, 0.0)],
    "erf": [(NAN, NAN), (INF, 1.0), (-INF, -1.0), (0.0, 0.0), (-0.0, -0.0), (6.0, 1.0), (-6.0, -1.0), (1e300, 1.0)],
    "erfc": [(NAN, NAN), (INF, 0.0), (-INF, 2.0), (0.0, 1.0), (-0.0, 1.0), (28.0, 0.0), (-7.0, 2.0), (1e300, 0.0)],
    "erfinv": [(NAN, NAN), (1.0, INF), (-1.0, -INF), (0.0, 0.0), (-0.0, -0.0), (1.5, NAN), (-1.0000000000000002, NAN),
               (INF, NAN), (-INF, NAN)],
}


# ----------------------------------------------------------------------------- tests

def test_library_conventions():
    """Every definition ends in _f64/_F64 (the module the library is prepended to defines the
    _f32 family and floordiv_f64/remainder_f64), all required functions exist, and nothing
    calls an f64 transcendental builtin or needs 64-bit integers."""
    src = _library()
    code = re.sub(r"//[^\n]*", "", src)
    names = re.findall(r"^(?:fn|const|var|struct|alias|override)\b\s*(?:<[^>]*>\s*)?([A-Za-z_]\w*)", code, flags=re.M)
    assert names and all(n.endswith(("_f64", "_F64")) for n in names), [n for n in names if not n.endswith(("_f64", "_F64"))]
    assert len(names) == len(set(names))
    assert not {"floordiv_f64", "remainder_f64"} & set(names)
    for f in FUNCTIONS:
        assert f"{f}_f64" in names, f
    banned = r"\b(exp|exp2|log|log2|pow|sin|cos|tan|asin|acos|atan|atan2|sinh|cosh|tanh|asinh|acosh|atanh|frexp|modf|inverseSqrt|bitcast)\s*\("
    assert not re.search(banned, code), re.search(banned, code).group(0)
    assert not re.search(r"\b(i64|u64|f32|f16)\b", code)
    assert "@group" not in code and "@compute" not in code


@requires_gpu
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_accuracy(gpu, name):
    ref_fn, bound = UNARY[name]
    x = inputs(name)
    check_close(name, [x], run(gpu, name, x), reference(ref_fn, x), bound)


@requires_gpu
@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_unary_special_values(gpu, name):
    x, want = (np.array(v, dtype=np.float64) for v in zip(*SPECIAL[name]))
    check_exact(name, [x], run(gpu, name, x), want)


# Correctly rounded values (mpmath, 50 digits): used when scipy is not installed, and always
# checked to within 2 ulp.
ERFINV_KNOWN = [
    (1e-300, 8.86226925452758e-301), (1e-10, 8.862269254527581e-11), (0.1, 0.08885599049425769),
    (0.5, 0.4769362762044699), (0.9, 1.1630871536766743), (0.999, 2.3267537655135246),
    (0.999999999, 4.320005388105362), (1 - 2.0**-52, 5.805018683193453), (-0.75, -0.8134198475976185),
]


@requires_gpu
def test_erfinv_accuracy(gpu):
    y = inputs("erfinv")
    got = run(gpu, "erfinv", y)
    try:
        from scipy.special import erfinv as ref_erfinv
    except ImportError:
        ref_erfinv = None
    if ref_erfinv is not None:
        # scipy's erfinv (Boost) is within ~1.5 ulp of the true value.
        check_close("erfinv", [y], got, ref_erfinv(y), 1e-15)
    # erf(erfinv(y)) == y wherever erf is well conditioned (|y| <= 0.99: dy = erf' dx).
    mid = np.isfinite(got) & (np.abs(y) <= 0.99) & (np.abs(y) >= TINY)
    back = reference(math.erf, got[mid])
    check_close("erf(erfinv)", [y[mid]], back, y[mid], 1e-15)
    ky, kv = (np.array(v) for v in zip(*ERFINV_KNOWN))
    check_close("erfinv", [ky], run(gpu, "erfinv", ky), kv, 4.5e-16)


@requires_gpu
def test_atan2(gpu):
    r = _rng("atan2")
    n = 4000
    y = signed(r, np.concatenate([logu(r, -300, 300, n // 2), logu(r, -5, 5, n // 2)]))
    x = signed(r, np.concatenate([logu(r, -300, 300, n // 2), logu(r, -5, 5, n // 2)]))
    check_close("atan2", [y, x], run(gpu, "atan2", y, x), reference(math.atan2, y, x), 1e-15)
    # Every pairing of special and ordinary values, against math.atan2 (C99 F.9.1.4).
    vals = [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 2.5, -1e-300, MIN_SUB, -1e300]
    ys, xs = (np.array(v) for v in zip(*[(a, b) for a in vals for b in vals]))
    check_exact("atan2", [ys, xs], run(gpu, "atan2", ys, xs), reference(math.atan2, ys, xs))


def _pow_expected(x, y):
    """C99 F.9.4.4, independent of the platform's libm."""
    if y == 0 or x == 1:
        return 1.0
    if math.isnan(x) or math.isnan(y):
        return NAN
    y_int = math.isinf(y) or y == math.floor(y)
    y_odd = not math.isinf(y) and y_int and abs(y) < 2.0**53 and int(y) % 2 == 1
    if math.isinf(y):
        if abs(x) == 1:
            return 1.0
        return INF if (abs(x) > 1) == (y > 0) else 0.0
    if x == 0:
        if y < 0:
            return math.copysign(INF, x) if y_odd else INF
        return x if y_odd else 0.0
    if math.isinf(x):
        mag = INF if y > 0 else 0.0
        return -mag if (x < 0 and y_odd) else mag
    if x < 0 and not y_int:
        return NAN
    try:
        return math.pow(x, y)
    except OverflowError:
        return -INF if (x < 0 and y_odd) else INF


@requires_gpu
def test_pow_accuracy(gpu):
    r = _rng("pow")
    n = 3000
    # |y log x| spread over the whole non-overflowing range: the double-double log keeps the
    # error at a few ulp even at |y log x| ~ 700.
    x1 = logu(r, -300, 300, n)
    y1 = r.uniform(-740, 705, n) / np.log(x1)
    x2 = 1.0 + signed(r, logu(r, -15, -1, 500))
    y2 = r.uniform(-700, 700, 500) / np.log(x2)
    x3 = -logu(r, -5, 5, 500)
    y3 = np.round(r.uniform(-60, 60, 500))
    x4 = logu(r, -10, 10, 1000)
    y4 = r.uniform(-30, 30, 1000)
    x, y = np.concatenate([x1, x2, x3, x4]), np.concatenate([y1, y2, y3, y4])
    check_close("pow", [x, y], run(gpu, "pow", x, y), reference(math.pow, x, y), 1e-15)


@requires_gpu
def test_pow_special_values(gpu):
    xs = [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, MIN_SUB, -1e300]
    ys = [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 0.5, -0.5, 2.0**53, 2.0**52 + 1, 1e300, 1075.0, -1075.0]
    pairs = [(a, b) for a in xs for b in ys]
    x, y = (np.array(v) for v in zip(*pairs))
    want = np.array([_pow_expected(a, b) for a, b in pairs])
    got = run(gpu, "pow", x, y)
    # Exact wherever C99 prescribes the result (an input that is NaN, infinite, zero or +-1, or a
    # result that is 0, +-1 or infinite); elsewhere (0.5^0.5, ...) within the accuracy bound.
    special = ~np.isfinite(x) | ~np.isfinite(y) | (x == 0) | (y == 0) | (np.abs(x) == 1) | ~np.isfinite(want) | (want == 0) | (np.abs(want) == 1)
    check_exact("pow", [x[special], y[special]], got[special], want[special])
    check_close("pow", [x[~special], y[~special]], got[~special], want[~special], 1e-15)
    # Exactly representable results, overflow to +-inf and underflow to +-0 (with the sign of an
    # odd power of a negative base), a subnormal power of two.
    exact = [(-2.0, 3.0, -8.0), (-2.0, -3.0, -0.125), (2.0, 10.0, 1024.0), (4.0, 0.5, 2.0), (2.0, 1024.0, INF),
             (2.0, -1074.0, MIN_SUB), (2.0, -1075.0, 0.0), (-2.0, -1075.0, -0.0), (-0.5, 1075.0, -0.0),
             (-10.0, 309.0, -INF), (-10.0, 310.0, INF), (1e-300, 2.0, 0.0), (-8.0, 1.0 / 3.0, NAN), (10.0, 22.0, 1e22),
             (0.3, 1.0, 0.3), (-1.0, 2.0**60, 1.0)]
    x, y, want = (np.array(v) for v in zip(*exact))
    check_exact("pow", [x, y], run(gpu, "pow", x, y), want)
