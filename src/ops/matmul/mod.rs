//! Matrix products. Float matmuls go to the `gemm` crate, which reads strided operands in
//! place (a transposed input costs no copy); integer matmuls use a plain cache-friendly loop.
use crate::dtype::{DType, Element, Scalar};
use crate::error::Result;
use crate::ops::binary::BinaryOp;
use crate::shape::{broadcast_shapes, normalize_dim, normalize_dims};
use crate::tensor::Tensor;
use crate::{bail, with_dtype};
use gemm::Parallelism;

mod einsum;
pub use einsum::einsum;

/// Below this many multiply-adds a product runs on one thread.
const PARALLEL_FLOPS: usize = 1 << 18;

/// One strided matrix: base pointer offset plus row and column strides, in elements.
#[derive(Clone, Copy)]
struct Mat {
    offset: usize,
    rs: usize,
    cs: usize,
}

unsafe fn gemm_float<T: 'static + Copy>(m: usize, n: usize, k: usize, dst: *mut T, a: *const T, am: Mat, b: *const T, bm: Mat, zero: T, one: T, threaded: bool) {
    let par = if threaded && m * n * k >= PARALLEL_FLOPS && crate::backend::cpu::threads_usable() { Parallelism::Rayon(0) } else { Parallelism::None };
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
    if crate::tensor::common_device(&[Some(a), Some(b)])?.is_gpu() {
        return crate::backend::gpu::matmul::bmm(a, b, &out_shape);
    }
    // Every element is written below: gemm overwrites its destination (zeros when k = 0), and
    // so does the integer loop, so the output skips the zero-fill pass.
    // SAFETY: each batch's m x n block is written by `run`.
    let out = unsafe { Tensor::for_overwrite(&out_shape, a.dtype())? };
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
    // Many small products: one thread per matrix beats splitting each small matrix.
    let per_batch = batch > 1
        && m * n * k < PARALLEL_FLOPS * 8
        && batch * m * n * k >= PARALLEL_FLOPS
        && crate::backend::cpu::threads_usable();
    let out_base = out.storage().as_ptr() as usize;
    let run = |bi: usize| {
        let (am, bm) = (mat(a, bi), mat(b, bi));
        // SAFETY: offsets and strides come from valid layouts of these storages; the output
        // block [bi*m*n, (bi+1)*m*n) is fresh and written only by this call.
        unsafe {
            let dst = (out_base as *mut u8).add(bi * m * n * dtype.size());
            let (pa, pb) = (a.storage().as_ptr(), b.storage().as_ptr());
            let threaded = !per_batch;
            match dtype {
                DType::F32 => gemm_float(m, n, k, dst as *mut f32, pa as *const f32, am, pb as *const f32, bm, 0.0, 1.0, threaded),
                DType::F64 => gemm_float(m, n, k, dst as *mut f64, pa as *const f64, am, pb as *const f64, bm, 0.0, 1.0, threaded),
                DType::F16 | DType::BF16 | DType::Bool => unreachable!("converted or rejected before the kernel"),
                d => with_dtype!(d, T, {
                    let dst = std::slice::from_raw_parts_mut(dst as *mut T, m * n);
                    gemm_int::<T>(m, n, k, dst, a.storage().slice::<T>(), am, b.storage().slice::<T>(), bm)
                }, complex => unreachable!("complex products are four real ones (ops/complex/)")),
            }
        }
    };
    if per_batch {
        use rayon::prelude::*;
        (0..batch).into_par_iter().for_each(run);
    } else {
        (0..batch).for_each(run);
    }
    Ok(out)
}

fn check_same_dtype(a: &Tensor, b: &Tensor) -> Result<()> {
    if a.dtype() != b.dtype() {
        bail!(Runtime, "expected m1 and m2 to have the same dtype, but got: {} != {}", a.dtype().cpp_name(), b.dtype().cpp_name());
    }
    if a.dtype() == DType::Bool {
        bail!(NotImplemented, "\"addmm_impl_cpu_\" not implemented for 'Bool'");
    }
    Ok(())
}

/// Half-precision products accumulate in float32 (as PyTorch's CPU kernels do) and round
/// once at the end.
fn bmm_any(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    crate::autograd::formulas::matmul::record_bmm(a, b, || {
        if a.dtype() == DType::BF16 || (a.dtype() == DType::F16 && !a.device().is_gpu()) {
            return bmm_kernel(&a.to_dtype(DType::F32)?, &b.to_dtype(DType::F32)?)?.to_dtype(a.dtype());
        }
        bmm_kernel(a, b)
    })
}

impl Tensor {
    /// `torch.matmul`: 1-D, 2-D, batched, and broadcast batch dims. Each case checks its
    /// shapes with the message of the ATen op PyTorch lowers it to (mv, mm, bmm).
    pub fn matmul(&self, other: &Tensor) -> Result<Tensor> {
        let (a, b) = (self, other);
        let (na, nb) = (a.ndim(), b.ndim());
        if na == 0 || nb == 0 {
            bail!(Runtime, "both arguments to matmul need to be at least 1D, but they are {}D and {}D", na, nb);
        }
        if na == 1 && nb == 1 {
            return self.dot(other);
        }
        if a.dtype().is_complex() || b.dtype().is_complex() {
            check_same_dtype(a, b)?;
            return crate::ops::complex::complex_matmul(a, b);
        }
        if nb == 1 {
            // Matrix (or folded batch of matrices) times vector: PyTorch's mv.
            let rows: usize = a.shape()[..na - 1].iter().product();
            let k = a.shape()[na - 1];
            if k != b.shape()[0] {
                bail!(Runtime, "size mismatch, got input ({rows}), mat ({rows}x{k}), vec ({})", b.shape()[0]);
            }
            check_same_dtype(a, b)?;
            // Batch dims fold into the rows (a copy only when they cannot be viewed that way).
            let r = bmm_any(&a.reshape(&[rows as i64, k as i64])?, &b.unsqueeze(1)?)?;
            let shape: Vec<i64> = a.shape()[..na - 1].iter().map(|&s| s as i64).collect();
            return r.reshape(&shape);
        }
        let a2 = if na == 1 { a.unsqueeze(0)? } else { a.clone() };
        let (ka, kb) = (a2.shape()[a2.ndim() - 1], b.shape()[nb - 2]);
        if nb == 2 {
            // Matrix (or folded batch) times matrix: PyTorch's mm.
            let rows = a2.shape()[..a2.ndim() - 1].iter().product::<usize>();
            check_mm_shapes("mm", rows, ka, kb, b.shape()[1])?;
            check_same_dtype(a, b)?;
            // [batch.., m, k] @ [k, n] is one [batch*m, k] @ [k, n] product when the batch dims
            // fold into the rows without a copy, or, copying `a`, when `b` needs a gradient:
            // unfolded, that gradient would be a batch of products summed afterwards, the
            // slower path by far (a linear layer on a transposed input). PyTorch folds alike.
            let fold_free = a2.layout().view(&[rows, ka]).is_some();
            if a2.ndim() > 2 && (fold_free || (b.requires_grad() && crate::autograd::mode::is_grad_enabled())) {
                let r = bmm_any(&a2.reshape(&[rows as i64, ka as i64])?, b)?;
                let mut shape: Vec<i64> = a2.shape()[..a2.ndim() - 1].iter().map(|&s| s as i64).collect();
                shape.push(b.shape()[1] as i64);
                return r.reshape(&shape);
            }
        }
        let batch = broadcast_shapes(&a2.shape()[..a2.ndim() - 2], &b.shape()[..nb - 2])?;
        if ka != kb {
            let n: usize = batch.iter().product();
            bail!(Runtime, "Expected size for first two dimensions of batch2 tensor to be: [{n}, {ka}] but got: [{n}, {kb}].");
        }
        if a.dtype() != b.dtype() {
            bail!(Runtime, "expected scalar type {} but found {}", a.dtype().scalar_name(), b.dtype().scalar_name());
        }
        check_same_dtype(a, b)?;
        let mut sa = batch.clone();
        sa.extend(&a2.shape()[a2.ndim() - 2..]);
        let mut sb = batch.clone();
        sb.extend(&b.shape()[nb - 2..]);
        let r = bmm_any(&a2.expand(&sa)?, &b.expand(&sb)?)?;
        if na == 1 { r.squeeze(Some(&[-2])) } else { Ok(r) }
    }
    pub fn mm(&self, other: &Tensor) -> Result<Tensor> {
        check_matrices("mm", "self", self, other)?;
        self.matmul(other)
    }
    pub fn bmm(&self, other: &Tensor) -> Result<Tensor> {
        check_bmm(self, other)?;
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
        self.dot_named(other, "dot")
    }
    /// `vdot`: the conjugating dot product, which for real dtypes is `dot`.
    pub fn vdot(&self, other: &Tensor) -> Result<Tensor> {
        self.dot_named(other, "vdot")
    }
    fn dot_named(&self, other: &Tensor, name: &str) -> Result<Tensor> {
        if self.ndim() != 1 || other.ndim() != 1 {
            bail!(Runtime, "1D tensors expected, but got {}D and {}D tensors", self.ndim(), other.ndim());
        }
        if self.dtype() != other.dtype() {
            bail!(Runtime, "{} : expected both vectors to have same dtype, but found {} and {}", name, self.dtype().scalar_name(), other.dtype().scalar_name());
        }
        if self.numel() != other.numel() {
            bail!(Runtime, "inconsistent tensor size, expected tensor [{}] and src [{}] to have the same number of elements, but got {} and {} elements respectively",
                self.numel(), other.numel(), self.numel(), other.numel());
        }
        check_same_dtype(self, other)?;
        if self.dtype().is_complex() {
            // vdot conjugates its first argument; dot does not.
            let a = if name == "vdot" { self.conj_physical()? } else { self.clone() };
            return crate::ops::complex::complex_matmul(&a.unsqueeze(0)?, &other.unsqueeze(1)?)?.reshape(&[]);
        }
        let r = bmm_any(&self.unsqueeze(0)?, &other.unsqueeze(1)?)?;
        r.reshape(&[])
    }

    /// `torch.inner`: contraction over the last dim of both inputs (a product for 0-d ones).
    pub fn inner(&self, other: &Tensor) -> Result<Tensor> {
        if self.ndim() == 0 || other.ndim() == 0 {
            return self.mul(other);
        }
        if self.shape()[self.ndim() - 1] != other.shape()[other.ndim() - 1] {
            bail!(Runtime, "inner() the last dimension must match on both input tensors but got shapes {:?} and {:?}", self.shape(), other.shape());
        }
        self.tensordot(other, &[-1], &[-1])
    }
    /// `torch.outer` / `ger`: `self[i] * vec2[j]`, promoting dtypes like `mul`.
    pub fn outer(&self, vec2: &Tensor) -> Result<Tensor> {
        if self.ndim() != 1 {
            bail!(Runtime, "outer: Expected 1-D argument self, but got {}-D", self.ndim());
        }
        if vec2.ndim() != 1 {
            bail!(Runtime, "outer: Expected 1-D argument vec2, but got {}-D", vec2.ndim());
        }
        self.unsqueeze(1)?.mul(vec2)
    }
    /// `torch.kron`: the Kronecker product (inputs padded with leading size-1 dims).
    pub fn kron(&self, other: &Tensor) -> Result<Tensor> {
        let nd = self.ndim().max(other.ndim());
        let pad = |t: &Tensor| {
            let mut s = vec![1usize; nd - t.ndim()];
            s.extend_from_slice(t.shape());
            s
        };
        let (sa, sb) = (pad(self), pad(other));
        let a: Vec<i64> = sa.iter().flat_map(|&x| [x as i64, 1]).collect();
        let b: Vec<i64> = sb.iter().flat_map(|&x| [1, x as i64]).collect();
        let out: Vec<i64> = sa.iter().zip(&sb).map(|(&x, &y)| (x * y) as i64).collect();
        self.reshape(&a)?.mul(&other.reshape(&b)?)?.reshape(&out)
    }

    /// `torch.tensordot` with explicit dim lists: contracts `self[dims_a]` with `other[dims_b]`.
    pub fn tensordot(&self, other: &Tensor, dims_a: &[i64], dims_b: &[i64]) -> Result<Tensor> {
        if dims_a.len() != dims_b.len() {
            bail!(Runtime, "both dimension lists should have same length");
        }
        let da = normalize_dims(dims_a, self.ndim())?;
        let db = normalize_dims(dims_b, other.ndim())?;
        let mut k = 1usize;
        for (&x, &y) in da.iter().zip(&db) {
            let (sx, sy) = (self.shape()[x], other.shape()[y]);
            if sx != sy {
                bail!(Runtime, "contracted dimensions need to match, but first has size {} in dim {} and second has size {} in dim {}", sx, x, sy, y);
            }
            k *= sx;
        }
        let free_a: Vec<usize> = (0..self.ndim()).filter(|d| !da.contains(d)).collect();
        let free_b: Vec<usize> = (0..other.ndim()).filter(|d| !db.contains(d)).collect();
        let size = |t: &Tensor, ds: &[usize]| ds.iter().map(|&d| t.shape()[d]).product::<usize>() as i64;
        let perm_a: Vec<i64> = free_a.iter().chain(&da).map(|&d| d as i64).collect();
        let perm_b: Vec<i64> = db.iter().chain(&free_b).map(|&d| d as i64).collect();
        let a2 = self.permute(&perm_a)?.reshape(&[size(self, &free_a), k as i64])?;
        let b2 = other.permute(&perm_b)?.reshape(&[k as i64, size(other, &free_b)])?;
        let mut shape: Vec<i64> = free_a.iter().map(|&d| self.shape()[d] as i64).collect();
        shape.extend(free_b.iter().map(|&d| other.shape()[d] as i64));
        a2.mm(&b2)?.reshape(&shape)
    }
    /// `torch.tensordot(a, b, dims=n)`: the last `n` dims of `self` with the first `n` of `other`.
    pub fn tensordot_n(&self, other: &Tensor, n: i64) -> Result<Tensor> {
        if n < 0 {
            bail!(Runtime, "tensordot expects dims >= 0, but got dims={}", n);
        }
        if n as usize > self.ndim() || n as usize > other.ndim() {
            bail!(Runtime, "tensordot expects dims < ndim_a or ndim_b, but got dims={}", n);
        }
        let na = self.ndim() as i64;
        let da: Vec<i64> = (na - n..na).collect();
        let db: Vec<i64> = (0..n).collect();
        self.tensordot(other, &da, &db)
    }

    /// `addmm`: `beta * self + alpha * (mat1 @ mat2)`.
    pub fn addmm(&self, mat1: &Tensor, mat2: &Tensor, beta: Scalar, alpha: Scalar) -> Result<Tensor> {
        // PyTorch's addmm calls its first matrix "self" in this message.
        check_matrices("addmm", "self", mat1, mat2)?;
        check_mm_shapes("addmm", mat1.shape()[0], mat1.shape()[1], mat2.shape()[0], mat2.shape()[1])?;
        if mat1.dtype().is_complex() || mat2.dtype().is_complex() {
            // The complex product is composed of recorded real ones, whose gradients already
            // carry the conjugates that AddmmBackward0's real formula lacks.
            return add_scaled(self, beta, &mat1.mm(mat2)?, alpha);
        }
        crate::autograd::formulas::matmul::record_addmm(self, mat1, mat2, beta, alpha, || {
            let prod = mat1.mm(mat2)?;
            add_scaled(self, beta, &prod, alpha)
        })
    }
    /// `addmv`: `beta * self + alpha * (mat @ vec)`.
    pub fn addmv(&self, mat: &Tensor, vec: &Tensor, beta: Scalar, alpha: Scalar) -> Result<Tensor> {
        if mat.ndim() != 2 || vec.ndim() != 1 || self.ndim() > 1 {
            bail!(Runtime, "vector + matrix @ vector expected, got {}, {}, {}", self.ndim(), mat.ndim(), vec.ndim());
        }
        let prod = mat.mv(vec)?;
        add_scaled(self, beta, &prod, alpha)
    }
    /// `baddbmm`: `beta * self + alpha * bmm(batch1, batch2)`.
    pub fn baddbmm(&self, batch1: &Tensor, batch2: &Tensor, beta: Scalar, alpha: Scalar) -> Result<Tensor> {
        let prod = batch1.bmm(batch2)?;
        add_scaled(self, beta, &prod, alpha)
    }
    /// `addbmm`: `beta * self + alpha * sum_b(batch1[b] @ batch2[b])`, as one matrix product
    /// with the batch folded into the contraction.
    pub fn addbmm(&self, batch1: &Tensor, batch2: &Tensor, beta: Scalar, alpha: Scalar) -> Result<Tensor> {
        check_bmm(batch1, batch2)?;
        let (b, n, m, p) = (batch1.shape()[0], batch1.shape()[1], batch1.shape()[2], batch2.shape()[2]);
        let a2 = batch1.permute(&[1, 0, 2])?.reshape(&[n as i64, (b * m) as i64])?;
        let b2 = batch2.reshape(&[(b * m) as i64, p as i64])?;
        let prod = a2.mm(&b2)?;
        add_scaled(self, beta, &prod, alpha)
    }

    /// `trace`: sum of the main diagonal of a matrix; integer inputs sum to int64.
    pub fn trace(&self) -> Result<Tensor> {
        if self.ndim() != 2 {
            bail!(Runtime, "trace: expected a matrix, but got tensor with dim {}", self.ndim());
        }
        let dt = if self.dtype().is_differentiable() { self.dtype() } else { DType::I64 };
        let d = self.diagonal(0, 0, 1)?.to_dtype(dt)?;
        let ones = Tensor::full_on(&[d.numel()], Scalar::Int(1), dt, self.device())?;
        d.dot(&ones)
    }
    /// `diag`: a 1-D input becomes a matrix with it on the `diagonal`-th diagonal; a 2-D input
    /// gives a copy of that diagonal.
    pub fn diag(&self, diagonal: i64) -> Result<Tensor> {
        match self.ndim() {
            1 => {
                let n = self.numel() as i64 + diagonal.checked_abs().unwrap_or(i64::MAX);
                let size = crate::shape::check_sizes(&[n, n])?;
                if let Some(r) = crate::autograd::formulas::shape::record_embed_diagonal(self, &size, diagonal, 0, 1)? {
                    return Ok(r);
                }
                let out = Tensor::zeros_on(&size, self.dtype(), self.device())?;
                if self.numel() > 0 {
                    out.diagonal(diagonal, 0, 1)?.copy_(self)?;
                }
                Ok(out)
            }
            2 => self.diagonal(diagonal, 0, 1)?.clone_tensor(None),
            d => bail!(Runtime, "diag(): Supports 1D or 2D tensors. Got {}D", d),
        }
    }
    /// `diag_embed`: the last dim of `self` becomes the `offset`-th diagonal of new dims
    /// `dim1`, `dim2` of the result.
    pub fn diag_embed(&self, offset: i64, dim1: i64, dim2: i64) -> Result<Tensor> {
        let nd = self.ndim() + 1;
        let (d1, d2) = (normalize_dim(dim1, nd)?, normalize_dim(dim2, nd)?);
        if d1 == d2 {
            bail!(Runtime, "diagonal dimensions cannot be identical {}, {}", dim1, dim2);
        }
        let src = self.atleast_1d()?;
        let n = src.shape()[src.ndim() - 1] as i64 + offset.checked_abs().unwrap_or(i64::MAX);
        let mut rest = src.shape()[..src.ndim() - 1].iter();
        let sizes: Vec<i64> = (0..nd).map(|i| if i == d1 || i == d2 { n } else { rest.next().map_or(1, |&s| s as i64) }).collect();
        let shape = crate::shape::check_sizes(&sizes)?;
        if let Some(r) = crate::autograd::formulas::shape::record_embed_diagonal(&src, &shape, offset, d1 as i64, d2 as i64)? {
            return Ok(r);
        }
        let out = Tensor::zeros_on(&shape, self.dtype(), self.device())?;
        if out.numel() > 0 {
            out.diagonal(offset, d1 as i64, d2 as i64)?.copy_(&src)?;
        }
        Ok(out)
    }
}

/// Messages for scalar factors on integer tensors, as PyTorch's addmm family words them.
fn check_factor(dtype: DType, s: Scalar, name: &str) -> Result<()> {
    if !(dtype.is_float() || dtype.is_complex()) && matches!(s, Scalar::Float(_)) {
        bail!(Runtime, "For integral input tensors, argument {} must not be a floating point number.", name);
    }
    Ok(())
}

/// `beta * input + alpha * prod` in `prod`'s dtype. With `beta == 0` the input is ignored
/// (NaN and inf in it do not propagate), as in BLAS and PyTorch.
fn add_scaled(input: &Tensor, beta: Scalar, prod: &Tensor, alpha: Scalar) -> Result<Tensor> {
    if input.dtype() != prod.dtype() {
        bail!(Runtime, "self and mat2 must have the same dtype, but got {} and {}", input.dtype().scalar_name(), prod.dtype().scalar_name());
    }
    check_factor(prod.dtype(), beta, "beta")?;
    check_factor(prod.dtype(), alpha, "alpha")?;
    let input = input.expand(prod.shape())?;
    let scale = |t: &Tensor, s: Scalar| if s.to_f64() == 1.0 { Ok(t.clone()) } else { t.binary_scalar(s, BinaryOp::Mul) };
    let p = scale(prod, alpha)?;
    if beta.to_f64() == 0.0 {
        return Ok(p);
    }
    scale(&input, beta)?.add(&p)
}

/// Both operands of `op` are matrices, or PyTorch's "mm: self must be a matrix" error.
fn check_matrices(op: &str, first: &str, a: &Tensor, b: &Tensor) -> Result<()> {
    if a.ndim() != 2 {
        bail!(Runtime, "{op}: {first} must be a matrix, got {}-D tensor", a.ndim());
    }
    if b.ndim() != 2 {
        bail!(Runtime, "{op}: mat2 must be a matrix, got {}-D tensor", b.ndim());
    }
    Ok(())
}

/// The inner sizes of a `rows x k` by `kb x n` product agree, or PyTorch's message naming `op`.
fn check_mm_shapes(op: &str, rows: usize, k: usize, kb: usize, n: usize) -> Result<()> {
    if k != kb {
        bail!(Runtime, "{op}: mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and {kb}x{n})");
    }
    Ok(())
}

fn check_bmm(a: &Tensor, b: &Tensor) -> Result<()> {
    if a.ndim() != 3 {
        bail!(Runtime, "batch1 must be a 3D tensor");
    }
    if b.ndim() != 3 {
        bail!(Runtime, "batch2 must be a 3D tensor");
    }
    if a.shape()[0] != b.shape()[0] || a.shape()[2] != b.shape()[1] {
        bail!(Runtime, "Expected size for first two dimensions of batch2 tensor to be: [{}, {}] but got: [{}, {}].",
            a.shape()[0], a.shape()[2], b.shape()[0], b.shape()[1]);
    }
    Ok(())
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
        // A batch of matrices times a vector folds the batch into the rows, also when transposed.
        let batch = Tensor::from_vec((0..12).map(|x| x as f32).collect(), &[2, 3, 2]).unwrap();
        let w = Tensor::from_vec(vec![1f32, 10.], &[2]).unwrap();
        let r = batch.matmul(&w).unwrap();
        assert_eq!(r.shape(), &[2, 3]);
        assert_eq!(r.to_vec::<f32>(), vec![10., 32., 54., 76., 98., 120.]);
        let bt = batch.transpose(0, 1).unwrap(); // [3, 2, 2], not foldable without a copy
        assert_eq!(bt.matmul(&w).unwrap().to_vec::<f32>(), vec![10., 76., 32., 98., 54., 120.]);
    }
}
