//! Batched matrix products (`shaders/matmul.wgsl`, `shaders/matmul_vec4.wgsl`). Operands are
//! read through their strides; batch dims are walked like any strided dims, so broadcast
//! batches and transposed operands need no copy.
//!
//! float32 operands whose layout allows 16-byte loads take the vec4 kernel (register-blocked,
//! prefetching); every other dtype and layout takes the scalar kernel.
use super::{pipeline, queue, repr, transfer, wgsl_type};
use crate::dtype::DType;
use crate::error::Result;
use crate::tensor::Tensor;

const TEMPLATE: &str = include_str!("../../../shaders/matmul.wgsl");
const VEC4_TEMPLATE: &str = include_str!("../../../shaders/matmul_vec4.wgsl");
/// `batch_offset`, which both kernels use.
const BATCH: &str = include_str!("../../../shaders/matmul_batch.wgsl");
/// Output tile of the scalar kernel.
const TILE: usize = 64;
/// The vec4 kernel takes 128x128 tiles once that still gives this many workgroups, enough to
/// occupy a large GPU; smaller products take 64x64 tiles (more, smaller workgroups).
const WORKGROUPS_FOR_LARGE_TILES: usize = 128;

/// 16-bit floats accumulate in f32.
fn acc_dtype(dt: DType) -> DType {
    if dt == DType::F16 { DType::F32 } else { dt }
}

pub fn source(dt: DType) -> String {
    let t = wgsl_type(dt);
    let kernel = pipeline::specialise(TEMPLATE, &[("OUT_T", t), ("IN_T", t), ("ACC_T", wgsl_type(acc_dtype(dt)))]);
    format!("{kernel}\n{BATCH}")
}

/// How the vec4 kernel reads a product: the output tile's side, and for each operand whether
/// its vec4s run along K (A row-major, B column-major) or along M / N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vec4Plan {
    pub tile: usize,
    pub a_k_contiguous: bool,
    pub b_k_contiguous: bool,
}

pub fn vec4_source(plan: Vec4Plan) -> String {
    let t = plan.tile / 16;
    let n = |v: usize| v.to_string();
    let kernel = pipeline::specialise(
        VEC4_TEMPLATE,
        &[
            ("T", &n(t)),
            ("TV", &n(t / 4)),
            ("BM", &n(plan.tile)),
            ("BK", &n(1024 / plan.tile)),
            ("ACC_LEN", &n(t * t / 4)),
            ("A_K_CONTIGUOUS", if plan.a_k_contiguous { "true" } else { "false" }),
            ("B_K_CONTIGUOUS", if plan.b_k_contiguous { "true" } else { "false" }),
        ],
    );
    format!("{kernel}\n{BATCH}")
}

/// One operand's matrix layout, in elements: rows x cols with these strides, starting at
/// `offset`, batch dims with `batch_strides` over `batch_shape`.
pub struct Layout<'a> {
    pub rows: usize,
    pub cols: usize,
    pub row_stride: usize,
    pub col_stride: usize,
    pub offset: usize,
    pub batch_shape: &'a [usize],
    pub batch_strides: &'a [usize],
}

impl Layout<'_> {
    fn of<'a>(t: &'a Tensor) -> Layout<'a> {
        let nd = t.ndim();
        Layout {
            rows: t.shape()[nd - 2],
            cols: t.shape()[nd - 1],
            row_stride: t.strides()[nd - 2],
            col_stride: t.strides()[nd - 1],
            offset: t.offset(),
            batch_shape: &t.shape()[..nd - 2],
            batch_strides: &t.strides()[..nd - 2],
        }
    }

    /// Every vec4 the kernel reads starts on a 16-byte boundary: the offset and every stride
    /// but the unit one are multiples of 4 (a stride of a size-1 dim never moves).
    fn aligned_except_unit(&self) -> bool {
        let ok = |stride: usize, size: usize| size == 1 || stride % 4 == 0;
        self.offset % 4 == 0 && self.batch_strides.iter().zip(self.batch_shape).all(|(&s, &n)| ok(s, n))
    }

    /// Whether vec4s can run along the rows (Some(true)), along the columns (Some(false)).
    /// The dim they run along must be unit-stride with a length that is a multiple of 4, so
    /// that a vec4 lies entirely inside or outside the matrix.
    fn vec4_along_rows(&self) -> Option<bool> {
        if !self.aligned_except_unit() {
            return None;
        }
        let ok = |stride: usize, size: usize| size == 1 || stride % 4 == 0;
        if self.col_stride == 1 && self.cols % 4 == 0 && ok(self.row_stride, self.rows) {
            Some(true)
        } else if self.row_stride == 1 && self.rows % 4 == 0 && ok(self.col_stride, self.cols) {
            Some(false)
        } else {
            None
        }
    }
}

/// The vec4 kernel's plan for `a` (M x K) @ `b` (K x N) over `batch` matrices, or None when a
/// layout does not allow it.
pub fn vec4_plan(a: &Layout, b: &Layout, batch: usize) -> Option<Vec4Plan> {
    let a_k_contiguous = a.vec4_along_rows()?;
    let b_k_contiguous = !b.vec4_along_rows()?;
    let large = batch * a.rows.div_ceil(128) * b.cols.div_ceil(128) >= WORKGROUPS_FOR_LARGE_TILES;
    Some(Vec4Plan { tile: if large { 128 } else { 64 }, a_k_contiguous, b_k_contiguous })
}

/// `a` [batch.., m, k] @ `b` [batch.., k, n] with equal batch dims, into a new contiguous
/// tensor of `out_shape` ([batch.., m, n]).
pub fn bmm(a: &Tensor, b: &Tensor, out_shape: &[usize]) -> Result<Tensor> {
    let nd = a.ndim();
    let (m, k, n) = (a.shape()[nd - 2], a.shape()[nd - 1], b.shape()[nd - 1]);
    let batch_shape = &a.shape()[..nd - 2];
    let batch: usize = batch_shape.iter().product();
    if k == 0 {
        return transfer::zeros(out_shape, a.dtype());
    }
    let out = transfer::empty(out_shape, a.dtype())?;
    if out.numel() == 0 {
        return Ok(out);
    }
    let plan = if a.dtype() == DType::F32 { vec4_plan(&Layout::of(a), &Layout::of(b), batch) } else { None };
    let (p, tile) = match plan {
        Some(plan) => {
            let key = format!("matmul_vec4|{}|{}|{}", plan.tile, plan.a_k_contiguous, plan.b_k_contiguous);
            (pipeline::get(&key, || vec4_source(plan))?, plan.tile)
        }
        None => {
            let t = repr(a.dtype())?.wgsl;
            (pipeline::get(&format!("matmul|{t}"), || source(a.dtype()))?, TILE)
        }
    };
    let mut meta = vec![batch as u32, (nd - 2) as u32];
    meta.extend(batch_shape.iter().map(|&s| s as u32));
    meta.extend([m as u32, n as u32, k as u32]);
    for x in [a, b] {
        meta.extend([x.offset() as u32, x.strides()[nd - 2] as u32, x.strides()[nd - 1] as u32]);
        meta.extend(x.strides()[..nd - 2].iter().map(|&s| s as u32));
    }
    let gpu = |x: &Tensor| x.storage().gpu_buffer().expect("gpu").raw().clone();
    let (bo, ba, bb) = (gpu(&out), gpu(a), gpu(b));
    let bindings = [
        queue::Binding { buffer: &bo },
        queue::Binding { buffer: &ba },
        queue::Binding { buffer: &bb },
    ];
    let workgroups = (batch * m.div_ceil(tile) * n.div_ceil(tile)) as u64;
    queue::dispatch(&p, &meta, &bindings, workgroups)?;
    Ok(out)
}

pub fn sources() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = [DType::F32, DType::F16, DType::F64, DType::I32, DType::I64]
        .into_iter()
        .map(|d| (format!("matmul {}", d.name()), source(d)))
        .collect();
    for tile in [64, 128] {
        for a_k_contiguous in [true, false] {
            for b_k_contiguous in [true, false] {
                let plan = Vec4Plan { tile, a_k_contiguous, b_k_contiguous };
                v.push((format!("matmul_vec4 {tile} a_k_contiguous={a_k_contiguous} b_k_contiguous={b_k_contiguous}"), vec4_source(plan)));
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::{vec4_plan, Layout, Vec4Plan};
    use crate::tensor::Tensor;

    #[test]
    fn layouts_of_tensor_views_pick_the_vec4_kernel() {
        let a = Tensor::from_vec((0..64).map(|x| x as f32).collect(), &[8, 8]).unwrap();
        let at = a.t().unwrap();
        let plan = |x: &Tensor, y: &Tensor| vec4_plan(&Layout::of(x), &Layout::of(y), 1);
        assert_eq!(plan(&a, &at), Some(Vec4Plan { tile: 64, a_k_contiguous: true, b_k_contiguous: true }));
        assert_eq!(plan(&at, &a), Some(Vec4Plan { tile: 64, a_k_contiguous: false, b_k_contiguous: false }));
        let odd = Tensor::from_vec((0..42).map(|x| x as f32).collect(), &[6, 7]).unwrap();
        assert_eq!(plan(&odd, &odd.t().unwrap()), None);
    }

    fn row_major<'a>(rows: usize, cols: usize, offset: usize) -> Layout<'a> {
        Layout { rows, cols, row_stride: cols, col_stride: 1, offset, batch_shape: &[], batch_strides: &[] }
    }

    fn transposed<'a>(rows: usize, cols: usize) -> Layout<'a> {
        Layout { rows, cols, row_stride: 1, col_stride: rows, offset: 0, batch_shape: &[], batch_strides: &[] }
    }

    #[test]
    fn vec4_kernel_takes_aligned_layouts_in_either_orientation() {
        let plan = |a: &Layout, b: &Layout, batch| vec4_plan(a, b, batch);
        // x @ W.T, as nn.Linear computes it: A row-major, B column-major; both along K.
        assert_eq!(plan(&row_major(256, 784, 0), &transposed(784, 1024), 1), Some(Vec4Plan { tile: 64, a_k_contiguous: true, b_k_contiguous: true }));
        assert_eq!(plan(&transposed(64, 32), &row_major(32, 96, 0), 1), Some(Vec4Plan { tile: 64, a_k_contiguous: false, b_k_contiguous: false }));
        // 4096 x 4096: 1,024 tiles of 128.
        assert_eq!(plan(&row_major(4096, 4096, 0), &row_major(4096, 4096, 0), 1).map(|p| p.tile), Some(128));
        // Misaligned: K not a multiple of 4, an offset of 2 elements, an odd batch stride.
        assert_eq!(plan(&row_major(8, 6, 0), &row_major(6, 8, 0), 1), None);
        assert_eq!(plan(&row_major(8, 8, 2), &row_major(8, 8, 0), 1), None);
        let odd_batch = Layout { batch_shape: &[3], batch_strides: &[66], ..row_major(8, 8, 0) };
        assert_eq!(plan(&odd_batch, &row_major(8, 8, 0), 3), None);
        // Neither dim unit-stride (a strided slice).
        let strided = Layout { row_stride: 16, col_stride: 2, ..row_major(8, 8, 0) };
        assert_eq!(plan(&strided, &row_major(8, 8, 0), 1), None);
        // A size-1 dim's stride never moves, odd or not.
        let one_row = Layout { rows: 1, row_stride: 3, ..row_major(1, 8, 0) };
        assert!(plan(&one_row, &row_major(8, 4, 0), 1).is_some());
        // A broadcast batch (stride 0) is aligned.
        let broadcast = Layout { batch_shape: &[5], batch_strides: &[0], ..row_major(8, 8, 0) };
        assert!(plan(&broadcast, &row_major(8, 8, 0), 5).is_some());
    }
}
