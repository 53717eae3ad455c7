//! The transform of one signal, in place: Stockham passes (each reads the signal from one buffer
//! and writes it, reordered, to the other, so no bit-reversal pass is needed) with butterflies
//! of radix 2, 3 and 4 written out and any other radix as a small direct DFT; or Bluestein's
//! convolution for lengths with a large prime factor.
//!
//! A pass with radix R and span L (the length of the sub-transforms already done) takes, for
//! j = q L + k, the R values x[j + r n / R] (r < R), multiplies the r-th by w^(r k) with
//! w = exp(sign 2 pi i / (L R)), transforms them with a length-R DFT and writes the results to
//! q L R + k + r L: R transforms of length L become one of length L R.
use super::complex::{Cpx, Real};
use super::plan::{Bluestein, Pass, Plan};

/// Transforms `data` (exactly the plan's length) in place; `scratch` holds at least as many.
pub(crate) fn run<T: Real>(plan: &Plan, data: &mut [Cpx<T>], scratch: &mut [Cpx<T>]) {
    if let Some(b) = &plan.bluestein {
        return bluestein(b, data);
    }
    let scratch = &mut scratch[..data.len()];
    let mut in_data = true;
    for pass in &plan.passes {
        if in_data { step(pass, data, scratch) } else { step(pass, scratch, data) }
        in_data = !in_data;
    }
    if !in_data {
        data.copy_from_slice(scratch);
    }
}

fn step<T: Real>(p: &Pass, src: &[Cpx<T>], dst: &mut [Cpx<T>]) {
    let tw = p.twiddles.get::<T>();
    match p.radix {
        2 => fixed::<T, 2>(p.span, tw, src, dst, |[a, b]| [a + b, a - b]),
        3 => {
            // w = -1/2 + sign i sqrt(3)/2
            let half_sqrt3 = T::of(0.75f64.sqrt());
            fixed::<T, 3>(p.span, tw, src, dst, |[a, b, c]| {
                let (sum, diff) = (b + c, (b - c).scale(half_sqrt3).quarter_turn(p.positive));
                let mid = a - sum.scale(T::of(0.5));
                [a + sum, mid + diff, mid - diff]
            })
        }
        4 => fixed::<T, 4>(p.span, tw, src, dst, |[a, b, c, d]| {
            let (s0, d0) = (a + c, a - c);
            let (s1, d1) = (b + d, (b - d).quarter_turn(p.positive));
            [s0 + s1, d0 + d1, s0 - s1, d0 - d1]
        }),
        _ => direct(p, tw, src, dst),
    }
}

/// A pass whose radix R has its butterfly written out. k = 0 skips the twiddles, which are 1
/// there (and multiplying by them would turn an infinite input into NaNs).
#[inline(always)]
fn fixed<T: Real, const R: usize>(
    span: usize,
    tw: &[Cpx<T>],
    src: &[Cpx<T>],
    dst: &mut [Cpx<T>],
    butterfly: impl Fn([Cpx<T>; R]) -> [Cpx<T>; R],
) {
    let stride = src.len() / R;
    for q in 0..stride / span {
        let (first, out) = (q * span, q * span * R);
        let y = butterfly(std::array::from_fn(|r| src[first + r * stride]));
        for (r, v) in y.into_iter().enumerate() {
            dst[out + r * span] = v;
        }
        for k in 1..span {
            let w = &tw[k * (R - 1)..(k + 1) * (R - 1)];
            let j = first + k;
            let y = butterfly(std::array::from_fn(|r| if r == 0 { src[j] } else { src[j + r * stride] * w[r - 1] }));
            for (r, v) in y.into_iter().enumerate() {
                dst[out + k + r * span] = v;
            }
        }
    }
}

/// A pass of any radix p as a direct length-p DFT: O(p) work per point.
fn direct<T: Real>(p: &Pass, tw: &[Cpx<T>], src: &[Cpx<T>], dst: &mut [Cpx<T>]) {
    let (radix, span) = (p.radix, p.span);
    let roots = p.roots.get::<T>();
    let stride = src.len() / radix;
    let mut v = vec![Cpx::default(); radix];
    for q in 0..stride / span {
        for k in 0..span {
            let j = q * span + k;
            v[0] = src[j];
            for r in 1..radix {
                let x = src[j + r * stride];
                v[r] = if k == 0 { x } else { x * tw[k * (radix - 1) + r - 1] };
            }
            let out = q * span * radix + k;
            for o in 0..radix {
                let (mut acc, mut index) = (v[0], 0);
                for x in &v[1..] {
                    index += o;
                    if index >= radix {
                        index -= radix;
                    }
                    acc = acc + *x * roots[index];
                }
                dst[out + o * span] = acc;
            }
        }
    }
}

/// Bluestein's algorithm (see `plan::Bluestein`), in float64 whatever the data's precision.
fn bluestein<T: Real>(b: &Bluestein, data: &mut [Cpx<T>]) {
    let mut a = vec![Cpx::<f64>::default(); b.len];
    for ((slot, x), c) in a.iter_mut().zip(data.iter()).zip(&b.chirp) {
        *slot = x.widen() * *c;
    }
    let mut scratch = vec![Cpx::default(); b.len];
    run(&b.forward, &mut a, &mut scratch);
    for (x, k) in a.iter_mut().zip(&b.kernel) {
        *x = *x * *k;
    }
    run(&b.backward, &mut a, &mut scratch);
    for ((out, x), c) in data.iter_mut().zip(&a).zip(&b.chirp) {
        *out = Cpx::narrow(*x * *c);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::plan::{plan, root};
    use super::*;

    /// The definition, O(n^2), in float64.
    pub(crate) fn naive(x: &[Cpx<f64>], sign: f64) -> Vec<Cpx<f64>> {
        let n = x.len();
        (0..n).map(|k| x.iter().enumerate().fold(Cpx::default(), |acc, (j, v)| acc + *v * root(sign, j * k, n))).collect()
    }

    pub(crate) fn signal(n: usize) -> Vec<Cpx<f64>> {
        (0..n).map(|j| Cpx { re: ((j * 7 + 3) % 11) as f64 - 5.0, im: ((j * 5 + 1) % 13) as f64 * 0.5 - 3.0 }).collect()
    }

    fn max_error(a: &[Cpx<f64>], b: &[Cpx<f64>]) -> f64 {
        a.iter().zip(b).map(|(x, y)| (x.re - y.re).abs().max((x.im - y.im).abs())).fold(0.0, f64::max)
    }

    #[test]
    fn every_path_matches_the_definition() {
        // radix 4, 2, 3, 5 (direct), mixed, a prime below and above the Bluestein bound, and a
        // length with a large prime factor
        for n in [1, 2, 3, 4, 5, 8, 12, 30, 32, 49, 61, 64, 67, 96, 127, 256, 2 * 67, 1000] {
            for sign in [-1.0, 1.0] {
                let x = signal(n);
                let mut data = x.clone();
                run(&plan(n, sign), &mut data, &mut vec![Cpx::default(); n]);
                let err = max_error(&data, &naive(&x, sign));
                assert!(err < 1e-9 * n as f64, "n = {n}, sign = {sign}: error {err}");
            }
        }
    }

    #[test]
    fn single_precision_rounds_once_per_pass() {
        let n = 4096;
        let x = signal(n);
        let mut data: Vec<Cpx<f32>> = x.iter().map(|c| Cpx::narrow(*c)).collect();
        run(&plan(n, -1.0), &mut data, &mut vec![Cpx::default(); n]);
        let widened: Vec<Cpx<f64>> = data.iter().map(|c| c.widen()).collect();
        let reference = naive(&x, -1.0);
        let peak = reference.iter().map(|c| c.re.abs().max(c.im.abs())).fold(0.0, f64::max);
        assert!(max_error(&widened, &reference) < 1e-5 * peak);
    }
}
