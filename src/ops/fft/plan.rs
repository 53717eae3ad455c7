//! Plans for the CPU transforms: how a length splits into Stockham passes and the twiddle
//! factors each pass multiplies by, or, for a length with a large prime factor, the chirps of
//! Bluestein's algorithm. Plans are built once per (length, direction) and cached.
//!
//! Every constant is computed in float64 from an angle index reduced modulo its period (so
//! quarter turns are exact), then rounded once to float32 for single-precision transforms.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::complex::{Cpx, Real};

/// A prime factor above this goes through Bluestein's algorithm: a radix-p pass costs O(p) work
/// per point, and past here three power-of-two transforms of twice the length cost less.
const LARGEST_RADIX: usize = 64;

/// Plans kept; the cache is emptied when it holds more (a plan of n points holds about
/// 24 n bytes of twiddles).
const CACHE_LIMIT: usize = 128;

/// A table of complex constants in both precisions.
pub(crate) struct Table {
    f64: Vec<Cpx<f64>>,
    f32: Vec<Cpx<f32>>,
}

impl Table {
    fn new(values: Vec<Cpx<f64>>) -> Table {
        let f32 = values.iter().map(|c| Cpx { re: c.re as f32, im: c.im as f32 }).collect();
        Table { f64: values, f32 }
    }
    pub(crate) fn get<T: Real>(&self) -> &[Cpx<T>] {
        T::pick(&self.f32, &self.f64)
    }
}

/// exp(sign * 2 pi i * index / period), `index` taken modulo `period`; exact at quarter turns.
pub(crate) fn root(sign: f64, index: usize, period: usize) -> Cpx<f64> {
    let index = index % period;
    let (re, im) = match (4 * index) % period {
        0 => match 4 * index / period {
            0 => (1.0, 0.0),
            1 => (0.0, 1.0),
            2 => (-1.0, 0.0),
            _ => (0.0, -1.0),
        },
        _ => {
            let angle = 2.0 * std::f64::consts::PI * index as f64 / period as f64;
            (angle.cos(), angle.sin())
        }
    };
    Cpx { re, im: sign * im }
}

/// One Stockham pass: combines `radix` transforms of length `span` into transforms of length
/// `span * radix`.
pub(crate) struct Pass {
    pub radix: usize,
    pub span: usize,
    /// Row k (k < span) holds w^(r k) for r = 1..radix, w = exp(sign 2 pi i / (span radix)).
    pub twiddles: Table,
    /// exp(sign 2 pi i t / radix) for t < radix: the butterfly of a radix without its own code.
    pub roots: Table,
    /// The transform's sign is +1 (radix 3 and 4 turn by +i rather than -i).
    pub positive: bool,
}

/// Bluestein's algorithm for a length n with a large prime factor: with c[j] = exp(sign pi i j^2 / n),
/// X[k] = c[k] * sum_j (x[j] c[j]) conj(c[k - j]), a circular convolution of power-of-two length
/// `len` >= 2n - 1, done with two transforms of that length. Computed in float64 throughout.
pub(crate) struct Bluestein {
    pub len: usize,
    pub chirp: Vec<Cpx<f64>>,
    /// The transform of conj(c) laid out for a circular convolution, divided by `len` (the
    /// inverse transform's normalisation).
    pub kernel: Vec<Cpx<f64>>,
    pub forward: Arc<Plan>,
    pub backward: Arc<Plan>,
}

/// How a transform runs: Stockham passes (none for a single point), or Bluestein.
pub(crate) struct Plan {
    pub passes: Vec<Pass>,
    pub bluestein: Option<Bluestein>,
}

/// The radices of n, fours first; None when a prime factor exceeds LARGEST_RADIX.
fn radices(mut n: usize) -> Option<Vec<usize>> {
    let mut out = Vec::new();
    while n % 4 == 0 {
        out.push(4);
        n /= 4;
    }
    let mut p = 2;
    while n > 1 {
        if p > LARGEST_RADIX {
            return None;
        }
        while n % p == 0 {
            out.push(p);
            n /= p;
        }
        p += 1;
    }
    Some(out)
}

fn build(n: usize, sign: f64) -> Plan {
    let Some(radices) = radices(n) else {
        let len = (2 * n - 1).next_power_of_two();
        // j^2 mod 2n keeps the angle small: the chirp's period is 2n.
        let chirp: Vec<Cpx<f64>> = (0..n).map(|j| root(sign, (j * j) % (2 * n), 2 * n)).collect();
        let mut kernel = vec![Cpx::default(); len];
        for (j, c) in chirp.iter().enumerate() {
            let conj = Cpx { re: c.re / len as f64, im: -c.im / len as f64 };
            kernel[j] = conj;
            kernel[(len - j) % len] = conj;
        }
        let forward = plan(len, -1.0);
        super::stockham::run(&forward, &mut kernel, &mut vec![Cpx::default(); len]);
        let bluestein = Bluestein { len, chirp, kernel, forward, backward: plan(len, 1.0) };
        return Plan { passes: Vec::new(), bluestein: Some(bluestein) };
    };
    let mut span = 1;
    let passes = radices
        .into_iter()
        .map(|radix| {
            let period = span * radix;
            let twiddles = (0..span).flat_map(|k| (1..radix).map(move |r| root(sign, r * k, period))).collect();
            let roots = (0..radix).map(|t| root(sign, t, radix)).collect();
            let pass = Pass { radix, span, twiddles: Table::new(twiddles), roots: Table::new(roots), positive: sign > 0.0 };
            span = period;
            pass
        })
        .collect();
    Plan { passes, bluestein: None }
}

type Cache<P> = OnceLock<Mutex<HashMap<(usize, bool), Arc<P>>>>;

fn cached<P>(cache: &'static Cache<P>, n: usize, sign: f64, make: impl FnOnce() -> P) -> Arc<P> {
    let key = (n, sign > 0.0);
    let map = cache.get_or_init(Default::default);
    if let Some(p) = map.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return p.clone();
    }
    // Built outside the lock: a Bluestein plan asks the cache for its power-of-two plans.
    let made = Arc::new(make());
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() >= CACHE_LIMIT {
        map.clear();
    }
    map.entry(key).or_insert(made).clone()
}

/// The plan of a length-n complex transform with kernel exp(sign 2 pi i jk / n).
pub(crate) fn plan(n: usize, sign: f64) -> Arc<Plan> {
    static PLANS: Cache<Plan> = OnceLock::new();
    cached(&PLANS, n, sign, || build(n, sign))
}

/// A real transform of even length n as a complex one of length n / 2 (even samples as real
/// parts, odd ones as imaginary parts), and the factors w^k = exp(sign 2 pi i k / n),
/// k = 0..=n/2, that split the half-length result into the spectra of the two halves.
pub(crate) struct HalfLength {
    pub half: Arc<Plan>,
    pub twiddles: Table,
}

pub(crate) fn half_length(n: usize, sign: f64) -> Arc<HalfLength> {
    static PLANS: Cache<HalfLength> = OnceLock::new();
    cached(&PLANS, n, sign, || HalfLength {
        half: plan(n / 2, sign),
        twiddles: Table::new((0..=n / 2).map(|k| root(sign, k, n)).collect()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radices_prefer_fours_and_stop_at_large_primes() {
        assert_eq!(radices(1), Some(vec![]));
        assert_eq!(radices(32), Some(vec![4, 4, 2]));
        assert_eq!(radices(60), Some(vec![4, 3, 5]));
        assert_eq!(radices(2 * 61), Some(vec![2, 61]));
        assert_eq!(radices(67), None);
    }

    #[test]
    fn roots_are_exact_at_quarter_turns() {
        let r = root(-1.0, 3, 12);
        assert_eq!((r.re, r.im), (0.0, -1.0));
        let r = root(1.0, 10, 8);
        assert_eq!((r.re, r.im), (0.0, 1.0));
    }
}
