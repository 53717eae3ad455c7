//! Reductions and scans.
//!
//! Every reduction goes through one `Plan`: the reduced dims are permuted to the end, so each
//! output element owns one contiguous run ("group") of `inner` input elements once the view is
//! made dense. Order-free full reductions (sum, max, ...) over a dense layout skip that copy and
//! read storage order directly, so a transposed tensor is as fast as a contiguous one.
//!
//! Submodules: `sum` (sum, mean, prod, nan-variants, logical reductions), `minmax` (max, min,
//! arg-variants), `stats` (var, std, logsumexp, norm), `scan` (cumulative ops).
use crate::backend::cpu::PARALLEL_THRESHOLD;
use crate::dtype::Element;
use crate::error::Result;
use crate::shape::{normalize_dim, normalize_dims};
use crate::tensor::Tensor;
use rayon::prelude::*;

mod minmax;
mod scan;
mod stats;
mod sum;

/// Elements per task when one large group is split across threads.
pub(crate) const PAR_CHUNK: usize = 1 << 16;

/// A tensor viewed as `groups` runs of `inner` reduced elements, in output order.
pub(crate) struct Plan {
    /// The output shape (reduced dims kept as 1 with `keepdim`).
    pub out_shape: Vec<usize>,
    pub groups: usize,
    pub inner: usize,
    /// The reduced dims (normalised, ascending).
    pub reduced: Vec<usize>,
    /// Kept dims first, then reduced dims.
    view: Tensor,
}

/// A dense run of elements kept alive by the tensor that owns them.
pub(crate) struct Dense {
    t: Tensor,
    start: usize,
    len: usize,
}

impl Dense {
    pub fn slice<T: Element>(&self) -> &[T] {
        // SAFETY: `start..start+len` lies inside the storage (checked when built); read-only.
        unsafe { &self.t.storage().slice::<T>()[self.start..self.start + self.len] }
    }
}

impl Plan {
    /// `dims` None or empty reduces every dim (PyTorch's `dim=None` / `dim=()`).
    pub fn new(x: &Tensor, dims: Option<&[i64]>, keepdim: bool) -> Result<Plan> {
        let nd = x.ndim();
        let mut reduced = match dims {
            Some(d) if !d.is_empty() => {
                if nd == 0 {
                    for &v in d {
                        normalize_dim(v, 0)?;
                    }
                    vec![]
                } else {
                    normalize_dims(d, nd)?
                }
            }
            _ => (0..nd).collect(),
        };
        reduced.sort_unstable();
        let mut perm = Vec::with_capacity(nd);
        let mut out_shape = Vec::with_capacity(nd);
        for i in 0..nd {
            if reduced.contains(&i) {
                if keepdim {
                    out_shape.push(1);
                }
            } else {
                perm.push(i);
                out_shape.push(x.shape()[i]);
            }
        }
        let groups = perm.iter().map(|&i| x.shape()[i]).product();
        let inner = reduced.iter().map(|&i| x.shape()[i]).product();
        perm.extend(&reduced);
        let view = x.with_layout(x.layout().permute(&perm));
        Ok(Plan { out_shape, groups, inner, reduced, view })
    }

    /// A plan along one dim for scans and sorts: groups are the rows along `dim`.
    pub fn along(x: &Tensor, dim: i64) -> Result<Plan> {
        Plan::new(x, Some(&[dim]), true)
    }

    /// The reduction on the GPU: one value per group, in the output shape.
    pub fn gpu(&self, op: crate::backend::gpu::reduce::ReduceOp, out_dtype: crate::dtype::DType) -> Result<Tensor> {
        let (r, _) = crate::backend::gpu::reduce::reduce(op, &self.view, self.groups, self.inner, out_dtype)?;
        Ok(r.with_layout(crate::layout::Layout::contiguous(&self.out_shape)))
    }

    /// An arg-reduction on the GPU: (values, int64 indices within each group).
    pub fn gpu_arg(&self, max: bool) -> Result<(Tensor, Tensor)> {
        use crate::backend::gpu::reduce::{reduce, ReduceOp};
        let op = if max { ReduceOp::ArgMax } else { ReduceOp::ArgMin };
        let (v, i) = reduce(op, &self.view, self.groups, self.inner, self.view.dtype())?;
        let l = crate::layout::Layout::contiguous(&self.out_shape);
        Ok((v.with_layout(l.clone()), i.expect("arg reductions return indices").with_layout(l)))
    }

    /// A scan along an `along` plan's dim on the GPU: (values, indices for max/min), both in
    /// `x`'s shape and dim order.
    pub fn gpu_scan(&self, op: crate::backend::gpu::scan::ScanOp, out_dtype: crate::dtype::DType) -> Result<(Tensor, Option<Tensor>)> {
        let (v, i) = crate::backend::gpu::scan::scan(op, &self.view, self.groups, self.inner, out_dtype)?;
        Ok((self.restore_order(v)?, i.map(|i| self.restore_order(i)).transpose()?))
    }

    /// A stable sort along an `along` plan's dim on the GPU: the first `take` values of each
    /// sorted row and their int64 positions, in `x`'s dim order (`take` long in that dim).
    pub fn gpu_sort(&self, descending: bool, take: usize) -> Result<(Tensor, Tensor)> {
        let (v, i) = crate::backend::gpu::sort::sort(&self.view, self.groups, self.inner, descending, take)?;
        Ok((self.restore_order(v)?, self.restore_order(i)?))
    }

    /// A contiguous result laid out like the view (kept dims..., reduced dims) put back in the
    /// input's dim order.
    fn restore_order(&self, t: Tensor) -> Result<Tensor> {
        let nd = self.view.ndim();
        let mut perm: Vec<usize> = (0..nd).filter(|d| !self.reduced.contains(d)).collect();
        perm.extend(&self.reduced);
        let mut inverse = vec![0; nd];
        for (k, &d) in perm.iter().enumerate() {
            inverse[d] = k;
        }
        t.with_layout(t.layout().permute(&inverse)).contiguous()
    }

    /// The first reduced dim whose size is zero (for "Expected reduction dim N to have non-zero size").
    pub fn empty_dim(&self, x: &Tensor) -> Option<usize> {
        self.reduced.iter().copied().find(|&d| x.shape()[d] == 0)
    }

    /// The elements in group order. `order_free` reductions over everything may read a dense
    /// layout's storage as it lies.
    pub fn dense(&self, order_free: bool) -> Result<Dense> {
        // Host kernels only: a GPU reduction without a kernel of its own stops here.
        self.view.require_cpu("this reduction")?;
        let n = self.groups * self.inner;
        if n == 0 {
            return Ok(Dense { t: self.view.clone(), start: 0, len: 0 });
        }
        let l = self.view.layout();
        if l.is_contiguous() || (order_free && self.groups == 1 && l.is_dense()) {
            return Ok(Dense { t: self.view.clone(), start: l.offset, len: n });
        }
        let c = self.view.contiguous()?;
        let start = c.offset();
        Ok(Dense { t: c, start, len: n })
    }

    /// Applies `f` to every group; one output element per group.
    pub fn map<T: Element, O: Send + Clone + Default>(&self, order_free: bool, f: impl Fn(&[T]) -> O + Sync) -> Result<Vec<O>> {
        let d = self.dense(order_free)?;
        let src = d.slice::<T>();
        let mut out = vec![O::default(); self.groups];
        if self.inner == 0 {
            out.iter_mut().for_each(|o| *o = f(&[]));
        } else if self.groups > 1 && crate::backend::cpu::parallel(src.len()) {
            let min_len = (PARALLEL_THRESHOLD / self.inner).max(1);
            out.par_iter_mut().zip(src.par_chunks(self.inner)).with_min_len(min_len).for_each(|(o, c)| *o = f(c));
        } else {
            out.iter_mut().zip(src.chunks(self.inner)).for_each(|(o, c)| *o = f(c));
        }
        Ok(out)
    }

    /// A tensor of the output shape from per-group values.
    pub fn finish<O: Element>(&self, v: Vec<O>) -> Result<Tensor> {
        Tensor::from_vec(v, &self.out_shape)
    }

    /// Applies `f(row, out_a, out_b)` to every row (for `along` plans), each row producing
    /// `out_len` elements of two outputs; returns them with `dim` restored to its place.
    pub fn map_rows<T: Element, A: Element, B: Element>(
        &self,
        x: &Tensor,
        dim: i64,
        out_len: usize,
        f: impl Fn(&[T], &mut [A], &mut [B]) + Sync,
    ) -> Result<(Tensor, Tensor)> {
        let d = self.dense(false)?;
        let src = d.slice::<T>();
        let total = self.groups * out_len;
        let mut a = vec![A::default(); total];
        let mut b = vec![B::default(); total];
        if out_len > 0 {
            let inner = self.inner.max(1);
            let run = |((ra, rb), g): ((&mut [A], &mut [B]), usize)| {
                let row = if self.inner == 0 { &src[0..0] } else { &src[g * inner..(g + 1) * inner] };
                f(row, ra, rb)
            };
            if self.groups > 1 && crate::backend::cpu::parallel(src.len()) {
                a.par_chunks_mut(out_len).zip(b.par_chunks_mut(out_len)).zip(0..self.groups).for_each(run);
            } else {
                a.chunks_mut(out_len).zip(b.chunks_mut(out_len)).zip(0..self.groups).for_each(run);
            }
        }
        Ok((self.unpermute(x, dim, a, out_len)?, self.unpermute(x, dim, b, out_len)?))
    }

    /// Puts row-major (kept dims..., row) results back into `x`'s dim order, contiguous.
    fn unpermute<O: Element>(&self, x: &Tensor, dim: i64, v: Vec<O>, out_len: usize) -> Result<Tensor> {
        if x.ndim() == 0 {
            return Tensor::from_vec(v, &[]);
        }
        let d = normalize_dim(dim, x.ndim())?;
        let mut shape: Vec<usize> = x.shape().to_vec();
        shape.remove(d);
        shape.push(out_len);
        let t = Tensor::from_vec(v, &shape)?;
        if d + 1 == x.ndim() {
            return Ok(t);
        }
        let nd = x.ndim();
        let mut perm: Vec<usize> = (0..nd - 1).collect();
        perm.insert(d, nd - 1);
        t.with_layout(t.layout().permute(&perm)).contiguous()
    }
}

/// Sums `x` in blocks with several independent accumulators so LLVM can vectorise the inner
/// loop; blocks are combined in f64, which keeps long float sums accurate.
#[inline]
pub(crate) fn sum_f64<T: Element>(x: &[T]) -> f64 {
    const LANES: usize = 16;
    const BLOCK: usize = 2048;
    let mut total = 0.0f64;
    for block in x.chunks(BLOCK) {
        let mut acc = [0.0f64; LANES];
        let mut it = block.chunks_exact(LANES);
        for c in &mut it {
            for j in 0..LANES {
                acc[j] += c[j].to_f64();
            }
        }
        let mut s: f64 = it.remainder().iter().map(|v| v.to_f64()).sum();
        s += acc.iter().sum::<f64>();
        total += s;
    }
    total
}

/// f32 specialisation of `sum_f64`: f32 lanes within a block (twice the SIMD width), f64 across.
#[inline]
pub(crate) fn sum_f32(x: &[f32]) -> f64 {
    // The wheel targets baseline x86-64 (SSE2); numpy picks AVX2 kernels at run time, and so
    // do we for this hot loop.
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { sum_f32_avx2(x) };
    }
    sum_f32_lanes(x)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn sum_f32_avx2(x: &[f32]) -> f64 {
    sum_f32_lanes(x)
}

/// Blocked summation with independent lanes: vectorises, and error grows with the block
/// size only (blocks are combined in f64).
#[inline(always)]
fn sum_f32_lanes(x: &[f32]) -> f64 {
    const LANES: usize = 16;
    const BLOCK: usize = 1024;
    let mut total = 0.0f64;
    for block in x.chunks(BLOCK) {
        let mut acc = [0.0f32; LANES];
        let mut it = block.chunks_exact(LANES);
        for c in &mut it {
            for j in 0..LANES {
                acc[j] += c[j];
            }
        }
        let mut s: f64 = it.remainder().iter().map(|&v| v as f64).sum();
        s += acc.iter().map(|&v| v as f64).sum::<f64>();
        total += s;
    }
    total
}

/// Splits a large slice across threads (fixed chunking, so the result is deterministic) and
/// folds the partial results in order.
pub(crate) fn par_fold<T: Element, A: Send>(x: &[T], f: impl Fn(&[T]) -> A + Sync, combine: impl Fn(A, A) -> A) -> A {
    if x.len() < 2 * PAR_CHUNK {
        return f(x);
    }
    // Same chunks either way, so a serial run (in a forked child) gives the same bits.
    let parts: Vec<A> = if crate::backend::cpu::threads_usable() {
        x.par_chunks(PAR_CHUNK).map(&f).collect()
    } else {
        x.chunks(PAR_CHUNK).map(&f).collect()
    };
    let mut it = parts.into_iter();
    let first = it.next().expect("non-empty");
    it.fold(first, combine)
}

#[inline]
pub(crate) fn is_nan<T: Element>(x: T) -> bool {
    #[allow(clippy::eq_op)]
    let r = x != x;
    r
}

/// Total order with NaN above everything (PyTorch's sort order).
#[inline]
pub(crate) fn cmp_nan_last<T: Element>(a: &T, b: &T) -> std::cmp::Ordering {
    match a.partial_cmp(b) {
        Some(o) => o,
        None => is_nan(*a).cmp(&is_nan(*b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::DType;

    fn arange(n: usize, shape: &[usize]) -> Tensor {
        Tensor::from_vec((0..n).map(|v| v as f32).collect::<Vec<_>>(), shape).unwrap()
    }

    #[test]
    fn plan_groups_follow_kept_dims() {
        let x = arange(6, &[2, 3]);
        let p = Plan::new(&x, Some(&[0]), false).unwrap();
        assert_eq!((p.groups, p.inner, p.out_shape.clone()), (3, 2, vec![3]));
        let s = p.map::<f32, f32>(false, |g| g.iter().sum()).unwrap();
        assert_eq!(s, vec![3.0, 5.0, 7.0]);
        let p = Plan::new(&x, None, true).unwrap();
        assert_eq!(p.out_shape, vec![1, 1]);
    }

    #[test]
    fn sums_are_accurate() {
        let v: Vec<f32> = (0..100_001).map(|i| (i % 7) as f32 * 0.1).collect();
        let exact: f64 = v.iter().map(|&x| x as f64).sum();
        assert!((sum_f32(&v) - exact).abs() < 1e-6 * exact);
        assert_eq!(sum_f64(&[1i64, 2, 3]), 6.0);
        let _ = DType::F32;
    }

    #[test]
    fn nan_ordering() {
        let mut v = [2.0f32, f32::NAN, -1.0];
        v.sort_by(cmp_nan_last);
        assert_eq!(&v[..2], &[-1.0, 2.0]);
        assert!(v[2].is_nan());
    }
}
