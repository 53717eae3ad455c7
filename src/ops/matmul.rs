//! Matrix products. Float matmuls go to the `gemm` crate, which reads strided operands in
//! place (a transposed input costs no copy); integer matmuls use a plain cache-friendly loop.
use crate::dtype::{DType, Element};
use crate::error::Result;
use crate::shape::broadcast_shapes;
use crate::tensor::Tensor;
use crate::{bail, with_dtype};
use gemm::Parallelism;
use half::f16;

/// Below this many multiply-adds a product runs on one thread.
const PARALLEL_FLOPS: usize = 1 << 18;

/// One strided matrix: base pointer offset plus row and column strides, in elements.
#[derive(Clone, Copy)]
struct Mat {
    offset: usize,
    rs: usize,
    cs: usize,
}

unsafe fn gemm_float<T: 'static + Copy>(m: usize, n: usize, k: usize, dst: *mut T, a: *const T, am: Mat, b: *const T, bm: Mat, zero: T, one: T) {
    let par = if m * n * k >= PARALLEL_FLOPS { Parallelism::Rayon(0) } else { Parallelism::None };
    gemm::gemm(
        m, n, k,
        dst, 1, n as isize, false,
        a.add(am.offset), am.cs as isize, am.rs as isize,
        b.add(bm.offset), bm.cs as isize, bm.rs as isize,
        zero, one, false, false, false, par,
    );
}

fn gemm_int<T: Element>(m: usize, n: usize, k: usize, dst: &mut [T], a: &[T], am: Mat, b: &[T], bm: Mat) {
    let mut acc = vec![0i64; n];
    for i in 0..m {
        acc.iter_mut().for_each(|x| *x = 0);
        for p in 0..k {
            let av = a[am.offset + i * am.rs + p * am.cs].to_i64();
            if av == 0 {
                continue;
            }
            let row = bm.offset + p * bm.rs;
            for j in 0..n {
                acc[j] = acc[j].wrapping_add(av.wrapping_mul(b[row + j * bm.cs].to_i64()));
            }
        }
        for j in 0..n {
            dst[i * n + j] = T::from_i64(acc[j]);
        }
    }
}

/// Batched product of `a` [batch.., m, k] and `b` [batch.., k, n], batch dims already equal.
fn bmm_kernel(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let nd = a.ndim();
    let (m, k, n) = (a.shape()[nd - 2], a.shape()[nd - 1], b.shape()[nd - 1]);
    let batch_shape = &a.shape()[..nd - 2];
    let batch: usize = batch_shape.iter().product();
    let mut out_shape = batch_shape.to_vec();
    out_shape.extend([m, n]);
    let out = Tensor::zeros(&out_shape, a.dtype())?;
    if out.numel() == 0 {
        return Ok(out);
    }
    let mat = |t: &Tensor, bi: usize| {
        let mut off = t.offset();
        let mut rem = bi;
        for d in (0..nd - 2).rev() {
            off += (rem % t.shape()[d]) * t.strides()[d];
            rem /= t.shape()[d];
        }
        Mat { offset: off, rs: t.strides()[nd - 2], cs: t.strides()[nd - 1] }
    };
    let dtype = a.dtype();
    for bi in 0..batch {
        let (am, bm) = (mat(a, bi), mat(b, bi));
        // SAFETY: offsets and strides come from valid layouts of these storages; the output
        // block [bi*m*n, (bi+1)*m*n) is fresh and written only here.
        unsafe {
            let dst = out.storage().as_ptr().add(bi * m * n * dtype.size());
            let (pa, pb) = (a.storage().as_ptr(), b.storage().as_ptr());
            match dtype {
                DType::F32 => gemm_float(m, n, k, dst as *mut f32, pa as *const f32, am, pb as *const f32, bm, 0.0, 1.0),
                DType::F64 => gemm_float(m, n, k, dst as *mut f64, pa as *const f64, am, pb as *const f64, bm, 0.0, 1.0),
                DType::F16 => gemm_float(m, n, k, dst as *mut f16, pa as *const f16, am, pb as *const f16, bm, f16::ZERO, f16::ONE),
                DType::BF16 | DType::Bool => unreachable!("converted before the kernel"),
                d => with_dtype!(d, T, {
                    let dst = std::slice::from_raw_parts_mut(dst as *mut T, m * n);
                    gemm_int::<T>(m, n, k, dst, a.storage().slice::<T>(), am, b.storage().slice::<T>(), bm)
                }),
            }
        }
    }
    Ok(out)
}

fn check_same_dtype(a: &Tensor, b: &Tensor) -> Result<()> {
    if a.dtype() != b.dtype() {
        bail!(Runtime, "expected m1 and m2 to have the same dtype, but got: {} != {}", a.dtype().name(), b.dtype().name());
    }
    if a.dtype() == DType::Bool {
        bail!(Runtime, "\"addmm_impl_cpu_\" not implemented for 'Bool'");
    }
    Ok(())
}

/// Products whose dtype gemm lacks run in float32 and convert back.
fn bmm_any(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if a.dtype() == DType::BF16 {
        return bmm_kernel(&a.to_dtype(DType::F32)?, &b.to_dtype(DType::F32)?)?.to_dtype(DType::BF16);
    }
    bmm_kernel(a, b)
}

impl Tensor {
    /// `torch.matmul`: 1-D, 2-D, batched, and broadcast batch dims.
    pub fn matmul(&self, other: &Tensor) -> Result<Tensor> {
        let (a, b) = (self, other);
        check_same_dtype(a, b)?;
        let (na, nb) = (a.ndim(), b.ndim());
        if na == 0 || nb == 0 {
            bail!(Runtime, "both arguments to matmul need to be at least 1D, but they are {}D and {}D", na, nb);
        }
        if na == 1 && nb == 1 {
            return self.dot(other);
        }
        let a2 = if na == 1 { a.unsqueeze(0)? } else { a.clone() };
        let b2 = if nb == 1 { b.unsqueeze(1)? } else { b.clone() };
        let (ka, kb) = (a2.shape()[a2.ndim() - 1], b2.shape()[b2.ndim() - 2]);
        if ka != kb {
            let (r, c) = (a2.shape()[..a2.ndim() - 1].iter().product::<usize>(), ka);
            bail!(Runtime, "mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{})", r, c, kb, b2.shape()[b2.ndim() - 1]);
        }
        let batch = broadcast_shapes(&a2.shape()[..a2.ndim() - 2], &b2.shape()[..b2.ndim() - 2])?;
        let mut sa = batch.clone();
        sa.extend(&a2.shape()[a2.ndim() - 2..]);
        let mut sb = batch.clone();
        sb.extend(&b2.shape()[b2.ndim() - 2..]);
        let mut r = bmm_any(&a2.expand(&sa)?, &b2.expand(&sb)?)?;
        if na == 1 {
            r = r.squeeze(Some(&[-2]))?;
        }
        if nb == 1 {
            r = r.squeeze(Some(&[-1]))?;
        }
        Ok(r)
    }
    pub fn mm(&self, other: &Tensor) -> Result<Tensor> {
        if self.ndim() != 2 {
            bail!(Runtime, "self must be a matrix");
        }
        if other.ndim() != 2 {
            bail!(Runtime, "mat2 must be a matrix");
        }
        self.matmul(other)
    }
    pub fn bmm(&self, other: &Tensor) -> Result<Tensor> {
        if self.ndim() != 3 {
            bail!(Runtime, "batch1 must be a 3D tensor");
        }
        if other.ndim() != 3 {
            bail!(Runtime, "batch2 must be a 3D tensor");
        }
        if self.shape()[0] != other.shape()[0] {
            bail!(Runtime, "batch1 and batch2 must have same number of batches, got {} and {}", self.shape()[0], other.shape()[0]);
        }
        if self.shape()[2] != other.shape()[1] {
            bail!(Runtime, "Expected size for first two dimensions of batch2 tensor to be: [{}, {}] but got: [{}, {}].",
                self.shape()[0], self.shape()[2], other.shape()[0], other.shape()[1]);
        }
        self.matmul(other)
    }
    pub fn mv(&self, vec: &Tensor) -> Result<Tensor> {
        if self.ndim() != 2 || vec.ndim() != 1 {
            bail!(Runtime, "vector + matrix @ vector expected, got 1, {}, {}", self.ndim(), vec.ndim());
        }
        if self.shape()[1] != vec.shape()[0] {
            bail!(Runtime, "size mismatch, got input ({}), mat ({}x{}), vec ({})", self.shape()[0], self.shape()[0], self.shape()[1], vec.shape()[0]);
        }
        self.matmul(vec)
    }
    pub fn dot(&self, other: &Tensor) -> Result<Tensor> {
        if self.ndim() != 1 || other.ndim() != 1 {
            bail!(Runtime, "1D tensors expected, but got {}D and {}D tensors", self.ndim(), other.ndim());
        }
        if self.dtype() != other.dtype() {
            bail!(Runtime, "dot : expected both vectors to have same dtype, but found {} and {}", self.dtype().scalar_name(), other.dtype().scalar_name());
        }
        if self.numel() != other.numel() {
            bail!(Runtime, "inconsistent tensor size, expected tensor [{}] and src [{}] to have the same number of elements, but got {} and {} elements respectively",
                self.numel(), other.numel(), self.numel(), other.numel());
        }
        check_same_dtype(self, other)?;
        let r = bmm_any(&self.unsqueeze(0)?, &other.unsqueeze(1)?)?;
        r.reshape(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matmul_shapes_and_values() {
        let a = Tensor::from_vec((0..6).map(|x| x as f32).collect(), &[2, 3]).unwrap();
        let b = Tensor::from_vec((0..6).map(|x| x as f32).collect(), &[3, 2]).unwrap();
        assert_eq!(a.matmul(&b).unwrap().to_vec::<f32>(), vec![10., 13., 28., 40.]);
        // transposed operand read in place
        let at = a.t().unwrap();
        assert_eq!(at.matmul(&a).unwrap().shape(), &[3, 3]);
        let ai = Tensor::from_vec((0..6i64).collect(), &[2, 3]).unwrap();
        let bi = Tensor::from_vec((0..6i64).collect(), &[3, 2]).unwrap();
        assert_eq!(ai.matmul(&bi).unwrap().to_vec::<i64>(), vec![10, 13, 28, 40]);
        let v = Tensor::from_vec(vec![1f32, 1., 1.], &[3]).unwrap();
        assert_eq!(a.matmul(&v).unwrap().to_vec::<f32>(), vec![3., 12.]);
        assert_eq!(v.matmul(&v).unwrap().shape(), &[] as &[usize]);
        assert!(a.matmul(&a).is_err());
    }
}
