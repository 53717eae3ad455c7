//! The strided loop every CPU kernel is built on.
//!
//! Inputs are views (shape + strides + offset) that have already been broadcast to the output
//! shape; the output is a fresh contiguous buffer. Dims are coalesced first so that the inner
//! loop runs over the longest possible stretch with one fixed stride per operand.
use crate::dtype::Element;
use crate::layout::coalesce;
use crate::tensor::Tensor;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Below this many elements a kernel runs on the calling thread.
pub const PARALLEL_THRESHOLD: usize = 1 << 16;
/// Elements per parallel task.
const CHUNK: usize = 1 << 14;

/// A coalesced iteration space for `K` operands.
pub struct Walk<const K: usize> {
    shape: Vec<usize>,
    strides: Vec<[usize; K]>,
    base: [usize; K],
}

impl<const K: usize> Walk<K> {
    pub fn new(shape: &[usize], strides: [&[usize]; K], base: [usize; K]) -> Walk<K> {
        let mut st: Vec<Vec<usize>> = strides.iter().map(|s| s.to_vec()).collect();
        let cshape = coalesce(shape, &mut st);
        let strides = (0..cshape.len()).map(|d| std::array::from_fn(|k| st[k][d])).collect();
        Walk { shape: cshape, strides, base }
    }

    pub fn of(tensors: [&Tensor; K]) -> Walk<K> {
        let shape = tensors[0].shape();
        Walk::new(shape, tensors.map(|t| t.strides()), tensors.map(|t| t.offset()))
    }

    /// Calls `f(position, offsets, run_len, inner_strides)` for each run of the inner dim that
    /// falls in the logical index range `[start, end)`.
    pub fn runs(&self, start: usize, end: usize, mut f: impl FnMut(usize, [usize; K], usize, [usize; K])) {
        if start >= end {
            return;
        }
        let nd = self.shape.len();
        if nd == 0 {
            f(start, self.base, 1, [0; K]);
            return;
        }
        let inner = self.shape[nd - 1];
        let inner_strides = self.strides[nd - 1];
        let mut coords = vec![0usize; nd];
        let mut rem = start;
        for d in (0..nd).rev() {
            coords[d] = rem % self.shape[d];
            rem /= self.shape[d];
        }
        let mut pos = start;
        while pos < end {
            let mut offs = self.base;
            for d in 0..nd {
                for k in 0..K {
                    offs[k] += coords[d] * self.strides[d][k];
                }
            }
            let len = (inner - coords[nd - 1]).min(end - pos);
            f(pos, offs, len, inner_strides);
            pos += len;
            coords[nd - 1] += len;
            let mut d = nd - 1;
            while coords[d] == self.shape[d] && d > 0 {
                coords[d] = 0;
                coords[d - 1] += 1;
                d -= 1;
            }
        }
    }
}

/// Builds a Vec of `n` elements by letting `fill(chunk, start)` initialise every slot of each
/// chunk exactly once (in parallel for large `n`). Skipping the zero-fill pass matters for
/// memory-bound kernels, and plain slice loops vectorise where iterator `collect` does not.
fn write_once<O: Send>(n: usize, fill: impl Fn(&mut [MaybeUninit<O>], usize) + Sync) -> Vec<O> {
    let mut out: Vec<O> = Vec::with_capacity(n);
    let dst = &mut out.spare_capacity_mut()[..n];
    if !super::parallel(n) {
        fill(dst, 0);
    } else {
        dst.par_chunks_mut(CHUNK).enumerate().for_each(|(ci, c)| fill(c, ci * CHUNK));
    }
    // SAFETY: `fill` wrote every one of the first n slots (each chunk covers its whole range).
    unsafe { out.set_len(n) };
    out
}

/// Builds a Vec of `n` elements from a strided walk: `f(run, offsets, len, strides)` gets the
/// operands' offsets of a run of `len` consecutive output elements and must initialise every
/// slot of `run`. One loop serves all arities: `f` does the reads itself. There is no zero-fill
/// pass, which a `vec![0; n]` filled afterwards would cost.
pub fn collect_strided<O: Send, const K: usize>(
    n: usize,
    walk: &Walk<K>,
    f: impl Fn(&mut [MaybeUninit<O>], [usize; K], usize, [usize; K]) + Sync,
) -> Vec<O> {
    write_once(n, |dst, start| {
        walk.runs(start, start + dst.len(), |pos, offs, len, st| f(&mut dst[pos - start..pos - start + len], offs, len, st));
    })
}

/// out[i] = f(a[i]) over a strided input.
pub fn map1<A: Element, O: Element>(a: &Tensor, f: impl Fn(A) -> O + Sync) -> Vec<O> {
    let n = a.numel();
    if n == 0 {
        return vec![]; // an empty view may carry an offset past the end of its storage
    }
    // SAFETY: read-only access to the input storage.
    let src = unsafe { a.storage().slice::<A>() };
    if a.is_contiguous() {
        // collect() writes each element once (no zero-fill pass), which matters for
        // memory-bound kernels.
        let src = &src[a.offset()..a.offset() + n];
        return write_once(n, |dst, start| {
            let end = start + dst.len();
            for (d, &x) in dst.iter_mut().zip(&src[start..end]) {
                d.write(f(x));
            }
        });
    }
    collect_strided(n, &Walk::of([a]), |o, [oa], len, [sa]| {
        for i in 0..len {
            o[i].write(f(src[oa + i * sa]));
        }
    })
}

/// out[i] = f(a[i], b[i]); `a` and `b` have the same (broadcast) shape.
pub fn map2<A: Element, B: Element, O: Element>(a: &Tensor, b: &Tensor, f: impl Fn(A, B) -> O + Sync) -> Vec<O> {
    let n = a.numel();
    if n == 0 {
        return vec![];
    }
    // SAFETY: read-only views of the inputs.
    let (sa_all, sb_all) = unsafe { (a.storage().slice::<A>(), b.storage().slice::<B>()) };
    if a.is_contiguous() && b.is_contiguous() {
        let (xa, xb) = (&sa_all[a.offset()..a.offset() + n], &sb_all[b.offset()..b.offset() + n]);
        return write_once(n, |dst, start| {
            let end = start + dst.len();
            for (d, (&x, &y)) in dst.iter_mut().zip(xa[start..end].iter().zip(&xb[start..end])) {
                d.write(f(x, y));
            }
        });
    }
    // A tensor with a broadcast scalar (`x * 0.5`, `x + bias_scalar`): one contiguous pass.
    let is_scalar = |t: &Tensor| t.layout().strides.iter().all(|&st| st == 0);
    if a.is_contiguous() && is_scalar(b) {
        let (xa, y) = (&sa_all[a.offset()..a.offset() + n], sb_all[b.offset()]);
        return write_once(n, |dst, start| {
            let end = start + dst.len();
            for (d, &x) in dst.iter_mut().zip(&xa[start..end]) {
                d.write(f(x, y));
            }
        });
    }
    if b.is_contiguous() && is_scalar(a) {
        let (x, xb) = (sa_all[a.offset()], &sb_all[b.offset()..b.offset() + n]);
        return write_once(n, |dst, start| {
            let end = start + dst.len();
            for (d, &y) in dst.iter_mut().zip(&xb[start..end]) {
                d.write(f(x, y));
            }
        });
    }
    collect_strided(n, &Walk::of([a, b]), |o, [oa, ob], len, [sa, sb]| {
        if sa == 1 && sb == 1 {
            let (xa, xb) = (&sa_all[oa..oa + len], &sb_all[ob..ob + len]);
            o.iter_mut().zip(xa.iter().zip(xb)).for_each(|(o, (&x, &y))| {
                o.write(f(x, y));
            });
        } else if sa == 1 && sb == 0 {
            let y = sb_all[ob];
            o.iter_mut().zip(&sa_all[oa..oa + len]).for_each(|(o, &x)| {
                o.write(f(x, y));
            });
        } else {
            for i in 0..len {
                o[i].write(f(sa_all[oa + i * sa], sb_all[ob + i * sb]));
            }
        }
    })
}

/// out[i] = f(a[i], b[i], c[i]) for three same-shaped views (where, lerp, clamp with tensors).
pub fn map3<A: Element, B: Element, C: Element, O: Element>(
    a: &Tensor,
    b: &Tensor,
    c: &Tensor,
    f: impl Fn(A, B, C) -> O + Sync,
) -> Vec<O> {
    let n = a.numel();
    if n == 0 {
        return vec![];
    }
    // SAFETY: read-only views of the inputs.
    let (xa, xb, xc) = unsafe { (a.storage().slice::<A>(), b.storage().slice::<B>(), c.storage().slice::<C>()) };
    collect_strided(n, &Walk::of([a, b, c]), |o, [oa, ob, oc], len, [sa, sb, sc]| match (sa, sb, sc) {
        // Unit-stride runs, with or without one broadcast scalar (`where(mask, g, 0)` in
        // gradients), as slice loops the compiler vectorises.
        (1, 1, 1) => {
            let (a, b, c) = (&xa[oa..oa + len], &xb[ob..ob + len], &xc[oc..oc + len]);
            for (o, (&a, (&b, &c))) in o.iter_mut().zip(a.iter().zip(b.iter().zip(c))) {
                o.write(f(a, b, c));
            }
        }
        (1, 1, 0) => {
            let (a, b, c) = (&xa[oa..oa + len], &xb[ob..ob + len], xc[oc]);
            for (o, (&a, &b)) in o.iter_mut().zip(a.iter().zip(b)) {
                o.write(f(a, b, c));
            }
        }
        (1, 0, 1) => {
            let (a, b, c) = (&xa[oa..oa + len], xb[ob], &xc[oc..oc + len]);
            for (o, (&a, &c)) in o.iter_mut().zip(a.iter().zip(c)) {
                o.write(f(a, b, c));
            }
        }
        _ => {
            for i in 0..len {
                o[i].write(f(xa[oa + i * sa], xb[ob + i * sb], xc[oc + i * sc]));
            }
        }
    })
}

/// Writes `src` (same shape as `dst`, any strides, any dtype) into the strided view `dst`.
/// The caller makes sure `src` does not overlap `dst` (copy it first if it does).
pub fn copy_into<S: Element, D: Element>(dst: &Tensor, src: &Tensor) {
    let n = dst.numel();
    if n == 0 || copy_tiled::<S, D>(dst, src) {
        return;
    }
    // Raw addresses, so that threads can write disjoint parts: dst's elements are distinct
    // memory (the caller checked for overlap) and each logical element is written once.
    // SAFETY: the slices cover the storages; src is only read.
    let (d_addr, s_addr) = unsafe { (dst.storage().slice_mut::<D>().as_mut_ptr() as usize, src.storage().slice::<S>().as_ptr() as usize) };
    let same_type = S::DTYPE == D::DTYPE;
    let walk = Walk::of([dst, src]);
    let copy_range = |start: usize, end: usize| {
        let (d, s) = (d_addr as *mut D, s_addr as *const S);
        walk.runs(start, end, |_, [od, os], len, [sd, ss]| unsafe {
            if sd == 1 && ss == 1 && same_type {
                // Same element type: a plain memcpy (S and D are the same type here).
                std::ptr::copy_nonoverlapping(s.add(os) as *const D, d.add(od), len);
            } else if sd == 1 && ss == 1 {
                let (dr, sr) = (std::slice::from_raw_parts_mut(d.add(od), len), std::slice::from_raw_parts(s.add(os), len));
                for (x, &y) in dr.iter_mut().zip(sr) {
                    *x = D::cast(y);
                }
            } else {
                for i in 0..len {
                    *d.add(od + i * sd) = D::cast(*s.add(os + i * ss));
                }
            }
        });
    };
    if !super::parallel(n) {
        copy_range(0, n);
    } else {
        (0..n.div_ceil(CHUNK)).into_par_iter().for_each(|c| copy_range(c * CHUNK, ((c + 1) * CHUNK).min(n)));
    }
}

/// Side of the square tiles `copy_tiled` moves: 32 source cache lines (one per column of a tile)
/// stay in L1 while the tile's rows are written.
const TILE: usize = 32;

/// A transposing copy: `dst` is contiguous along its inner dim while `src` is contiguous along
/// another one (`x.t().contiguous()`, `permute(...).contiguous()`). Element by element, one side
/// would jump a whole row per element and touch a new cache line each time; copying square tiles
/// keeps both sides' lines in cache, which is several times faster on large tensors. Returns
/// false, doing nothing, when the layouts are not of that kind (or the panels are too small to
/// gain from tiling).
fn copy_tiled<S: Element, D: Element>(dst: &Tensor, src: &Tensor) -> bool {
    let mut st = vec![dst.strides().to_vec(), src.strides().to_vec()];
    let shape = coalesce(dst.shape(), &mut st);
    let nd = shape.len();
    if nd < 2 || st[0][nd - 1] != 1 || st[1][nd - 1] == 1 {
        return false;
    }
    // The dim along which src is contiguous becomes the tiles' row dim.
    let Some(p) = (0..nd - 1).rev().find(|&d| st[1][d] == 1) else { return false };
    let (rows, cols) = (shape[p], shape[nd - 1]);
    if rows < TILE || cols < TILE {
        return false;
    }
    let (ds, ss) = (&st[0], &st[1]);
    let outer: Vec<usize> = (0..nd - 1).filter(|&d| d != p).collect();
    let row_blocks = rows.div_ceil(TILE);
    let tasks = outer.iter().map(|&d| shape[d]).product::<usize>() * row_blocks;
    // SAFETY: as in `copy_into`: dst's elements are distinct memory and each is written once.
    let (d_addr, s_addr) = unsafe { (dst.storage().slice_mut::<D>().as_mut_ptr() as usize, src.storage().slice::<S>().as_ptr() as usize) };
    let (d_base, s_base, s_col) = (dst.offset(), src.offset(), ss[nd - 1]);
    let copy_task = |task: usize| {
        let (mut rem, block) = (task / row_blocks, task % row_blocks);
        let (mut od, mut os) = (d_base, s_base);
        for &d in outer.iter().rev() {
            let c = rem % shape[d];
            rem /= shape[d];
            od += c * ds[d];
            os += c * ss[d];
        }
        let (d, s) = (d_addr as *mut D, s_addr as *const S);
        let (r0, r1) = (block * TILE, ((block + 1) * TILE).min(rows));
        for c0 in (0..cols).step_by(TILE) {
            let c1 = (c0 + TILE).min(cols);
            for r in r0..r1 {
                // SAFETY: every (r, c) addresses an element of the two views.
                unsafe {
                    let (drow, srow) = (d.add(od + r * ds[p]), s.add(os + r));
                    for c in c0..c1 {
                        *drow.add(c) = D::cast(*srow.add(c * s_col));
                    }
                }
            }
        }
    };
    if super::parallel(dst.numel()) {
        (0..tasks).into_par_iter().for_each(copy_task);
    } else {
        (0..tasks).for_each(copy_task);
    }
    true
}

/// Iterates the logical elements of a strided tensor in row-major order.
pub fn for_each<T: Element>(a: &Tensor, mut f: impl FnMut(T)) {
    // SAFETY: read-only.
    let src = unsafe { a.storage().slice::<T>() };
    Walk::of([a]).runs(0, a.numel(), |_, [o], len, [s]| {
        for i in 0..len {
            f(src[o + i * s]);
        }
    });
}

#[cfg(test)]
mod tests {
    use crate::dtype::DType;
    use crate::tensor::Tensor;

    fn seq(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        Tensor::from_vec((0..n).map(|v| v as f32).collect::<Vec<f32>>(), shape).unwrap()
    }

    #[test]
    fn tiled_transposing_copies_match_the_element_order() {
        // Shapes around the tile size, 2-D and 3-D permutations, a view with an offset, and a
        // casting copy: each result must list the permuted view's elements in row-major order.
        for (shape, perm) in [(vec![70usize, 45], vec![1usize, 0]), (vec![3, 33, 64], vec![0, 2, 1]),
                              (vec![40, 2, 37], vec![2, 1, 0]), (vec![33, 35, 3], vec![1, 0, 2])] {
            let x = seq(&shape);
            let view = x.permute(&perm.iter().map(|&d| d as i64).collect::<Vec<_>>()).unwrap();
            let got = view.contiguous().unwrap().to_vec::<f32>();
            let mut want = Vec::new();
            let vshape = view.shape().to_vec();
            let mut idx = vec![0usize; vshape.len()];
            for _ in 0..view.numel() {
                let pos: usize = idx.iter().zip(view.strides()).map(|(i, s)| i * s).sum::<usize>() + view.offset();
                want.push(pos as f32);
                for d in (0..idx.len()).rev() {
                    idx[d] += 1;
                    if idx[d] < vshape[d] { break; }
                    idx[d] = 0;
                }
            }
            assert_eq!(got, want, "shape {shape:?} perm {perm:?}");
            let cast = view.to_dtype_copy(DType::F64).unwrap().to_vec::<f64>();
            assert_eq!(cast, want.iter().map(|&v| v as f64).collect::<Vec<_>>());
        }
        let x = seq(&[50, 60]);
        let sliced = x.narrow(0, 5, 40).unwrap().narrow(1, 3, 50).unwrap().t().unwrap();
        let got = sliced.contiguous().unwrap().to_vec::<f32>();
        let want: Vec<f32> = (0..50).flat_map(|c| (0..40).map(move |r| ((r + 5) * 60 + c + 3) as f32)).collect();
        assert_eq!(got, want);
    }
}
