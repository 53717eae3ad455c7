//! Batches of signals: `count` signals of `len` values each, one after another, transformed at
//! length `n` (the input trimmed or zero-padded to n, as torch.fft's `n` does). Signals run in
//! parallel on the CPU thread pool when there is enough work; each thread keeps its scratch.
use rayon::prelude::*;

use super::complex::{Cpx, Real};
use super::plan::{half_length, plan};
use super::stockham::run;
use crate::backend::cpu::parallel;

/// Runs `work(index, output signal, scratch)` over the `width`-long output signals of `out`.
fn each_signal<O: Send, T: Real>(
    out: &mut [O],
    width: usize,
    scratch_len: usize,
    work: impl Fn(usize, &mut [O], &mut Vec<Cpx<T>>) + Send + Sync,
) {
    if width == 0 {
        return;
    }
    let scratch = || vec![Cpx::default(); scratch_len];
    // A point of a transform costs about as much as ten elementwise ops (the threshold's unit).
    if out.len() > width && parallel(out.len() * 10) {
        out.par_chunks_mut(width).enumerate().for_each_init(scratch, |s, (i, sig)| work(i, sig, s));
    } else {
        let mut s = scratch();
        out.chunks_mut(width).enumerate().for_each(|(i, sig)| work(i, sig, &mut s));
    }
}

/// The first `min(len, n)` values of signal `i`.
fn kept<V>(src: &[V], i: usize, len: usize, n: usize) -> &[V] {
    &src[i * len..i * len + len.min(n)]
}

/// A real slice of even length as (real, imaginary) pairs: the half-length trick's packing of
/// even samples as real parts and odd ones as imaginary parts is this reinterpretation.
fn as_pairs<T: Real>(s: &mut [T]) -> &mut [Cpx<T>] {
    // SAFETY: Cpx<T> is repr(C) of two T, so it has T's alignment and twice its size.
    unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr() as *mut Cpx<T>, s.len() / 2) }
}

/// The inverse view: pairs as their reals.
fn as_reals<T: Real>(s: &mut [Cpx<T>]) -> &mut [T] {
    // SAFETY: as in `as_pairs`.
    unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr() as *mut T, s.len() * 2) }
}

fn scale_all<T: Real>(values: &mut [Cpx<T>], scale: f64) {
    if scale != 1.0 {
        let s = T::of(scale);
        values.iter_mut().for_each(|v| *v = v.scale(s));
    }
}

/// Complex to complex: `count * n` outputs, exp(sign 2 pi i jk / n) times `scale`.
pub(crate) fn c2c<T: Real>(src: &[Cpx<T>], count: usize, len: usize, n: usize, sign: f64, scale: f64) -> Vec<Cpx<T>> {
    let plan = plan(n, sign);
    let mut out = vec![Cpx::default(); count * n];
    each_signal(&mut out, n, n, |i, sig, scratch| {
        let x = kept(src, i, len, n);
        sig[..x.len()].copy_from_slice(x);
        run(&plan, sig, scratch);
        scale_all(sig, scale);
    });
    out
}

/// Real to complex: the first `cols` (n / 2 + 1, or n) outputs of each real signal's transform.
/// Even lengths run as a complex transform of n / 2 points: with Z that transform of
/// z[m] = x[2m] + i x[2m + 1] and Z~[k] = conj(Z[n/2 - k]), the even and odd samples' spectra are
/// E = (Z + Z~) / 2 and O = -i (Z - Z~) / 2, and X[k] = E[k] + w^k O[k].
pub(crate) fn r2c<T: Real>(src: &[T], count: usize, len: usize, n: usize, cols: usize, sign: f64, scale: f64) -> Vec<Cpx<T>> {
    let mut out = vec![Cpx::default(); count * cols];
    if n % 2 == 1 {
        let plan = plan(n, sign);
        each_signal(&mut out, cols, 2 * n, |i, sig, scratch| {
            let (full, rest) = scratch.split_at_mut(n);
            full.fill(Cpx::default());
            for (slot, &x) in full.iter_mut().zip(kept(src, i, len, n)) {
                slot.re = x;
            }
            run(&plan, full, rest);
            sig.copy_from_slice(&full[..cols]);
            scale_all(sig, scale);
        });
        return out;
    }
    let (h, trick) = (n / 2, half_length(n, sign));
    let w = trick.twiddles.get::<T>();
    each_signal(&mut out, cols, n, |i, sig, scratch| {
        let (z, rest) = scratch.split_at_mut(h);
        z.fill(Cpx::default());
        let x = kept(src, i, len, n);
        as_reals(z)[..x.len()].copy_from_slice(x);
        run(&trick.half, z, rest);
        let quarter = T::of(0.5);
        for k in 0..=h.min(cols - 1) {
            // indices modulo h: Z[h] is Z[0]
            let (zk, zm) = (z[if k == h { 0 } else { k }], z[if k == 0 { 0 } else { h - k }].conj());
            let even = (zk + zm).scale(quarter);
            let odd = (zk - zm).scale(quarter).quarter_turn(false);
            sig[k] = even + w[k] * odd;
        }
        for k in h + 1..cols {
            sig[k] = sig[n - k].conj();
        }
        scale_all(sig, scale);
    });
    out
}

/// Complex (a half spectrum: the first n / 2 + 1 values of each signal, zero-padded) to real:
/// the length-n real signals whose spectra are those halves with X[n - k] = conj(X[k]) as the
/// rest. The imaginary parts at frequency 0 (and n / 2 for even n) are ignored, as a real
/// signal's spectrum has none there. Even lengths run the half-length trick backwards: with
/// X~[k] = conj(X[n/2 - k]), x[2m] + i x[2m + 1] is the length n / 2 transform of
/// (X + X~) + i w^k (X - X~).
pub(crate) fn c2r<T: Real>(src: &[Cpx<T>], count: usize, len: usize, n: usize, sign: f64, scale: f64) -> Vec<T> {
    let (h, rows) = (n / 2, n / 2 + 1);
    let mut out = vec![T::default(); count * n];
    let spectrum = |i: usize, half: &mut [Cpx<T>]| {
        half.fill(Cpx::default());
        let x = kept(src, i, len, rows);
        half[..x.len()].copy_from_slice(x);
        half[0].im = T::default();
        if n % 2 == 0 {
            half[h].im = T::default();
        }
    };
    if n % 2 == 1 {
        let plan = plan(n, sign);
        each_signal(&mut out, n, 2 * n, |i, sig, scratch: &mut Vec<Cpx<T>>| {
            let (full, rest) = scratch.split_at_mut(n);
            spectrum(i, &mut full[..rows]);
            for k in 1..rows {
                full[n - k] = full[k].conj();
            }
            run(&plan, full, rest);
            let s = T::of(scale);
            sig.iter_mut().zip(full.iter()).for_each(|(o, v)| *o = v.re * s);
        });
        return out;
    }
    let trick = half_length(n, sign);
    let w = trick.twiddles.get::<T>();
    each_signal(&mut out, n, rows + h, |i, sig, scratch: &mut Vec<Cpx<T>>| {
        let (half, rest) = scratch.split_at_mut(rows);
        spectrum(i, half);
        let z = as_pairs(sig);
        for k in 0..h {
            let (xk, xm) = (half[k], half[h - k].conj());
            z[k] = (xk + xm) + (w[k] * (xk - xm)).quarter_turn(true);
        }
        run(&trick.half, z, rest);
        scale_all(z, scale);
    });
    out
}

#[cfg(test)]
mod tests {
    use super::super::stockham::tests::{naive, signal};
    use super::*;

    fn close(a: &[Cpx<f64>], b: &[Cpx<f64>]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x.re - y.re).abs() < 1e-9 && (x.im - y.im).abs() < 1e-9)
    }

    #[test]
    fn real_transforms_match_the_complex_one() {
        for n in [1, 2, 3, 6, 8, 9, 16, 30] {
            let x: Vec<f64> = signal(n).iter().map(|c| c.re).collect();
            let full = naive(&x.iter().map(|&re| Cpx { re, im: 0.0 }).collect::<Vec<_>>(), -1.0);
            for cols in [n / 2 + 1, n] {
                assert!(close(&r2c(&x, 1, n, n, cols, -1.0, 1.0), &full[..cols]), "r2c n = {n}, cols = {cols}");
            }
            // back to the signal: the inverse transform of the half spectrum, divided by n
            let back = c2r(&full[..n / 2 + 1], 1, n / 2 + 1, n, 1.0, 1.0 / n as f64);
            assert!(back.iter().zip(&x).all(|(a, b)| (a - b).abs() < 1e-9), "c2r n = {n}");
        }
    }

    #[test]
    fn inputs_are_trimmed_or_padded_to_n() {
        let x = signal(6);
        // two signals of 3 values each at n = 4 (padded), then at n = 2 (trimmed)
        let padded = c2c(&x, 2, 3, 4, -1.0, 1.0);
        let mut first = x[..3].to_vec();
        first.push(Cpx::default());
        assert!(close(&padded[..4], &naive(&first, -1.0)));
        let trimmed = c2c(&x, 2, 3, 2, -1.0, 1.0);
        assert!(close(&trimmed[2..], &naive(&x[3..5], -1.0)));
    }

    #[test]
    fn hermitian_input_ignores_imaginary_parts_at_zero_and_nyquist() {
        let half = vec![Cpx { re: 1.0, im: 5.0 }, Cpx { re: 2.0, im: 1.0 }, Cpx { re: 3.0, im: -7.0 }];
        let clean = vec![Cpx { re: 1.0, im: 0.0 }, Cpx { re: 2.0, im: 1.0 }, Cpx { re: 3.0, im: 0.0 }];
        assert_eq!(c2r(&half, 1, 3, 4, 1.0, 1.0), c2r(&clean, 1, 3, 4, 1.0, 1.0));
    }
}
