//! Gradients of im2col / col2im (`ops/conv.rs`): each is the other's adjoint, so each one's
//! backward is the other applied to the gradient, itself recorded (double backward works).
use super::super::node::begin;
use crate::error::Result;
use crate::ops::conv::{col2im_forward, im2col_forward, Window};
use crate::ops::pool::max_pool2d_forward;
use crate::tensor::Tensor;

impl Tensor {
    /// `F.unfold` on a batched (N, C, H, W) input: (N, C*kh*kw, L) (Im2ColBackward0).
    pub fn im2col(&self, win: &Window) -> Result<Tensor> {
        let Some(rec) = begin("Im2ColBackward0", &[self]) else { return im2col_forward(self, win) };
        let out = im2col_forward(self, win)?;
        let (size, win) = ([self.shape()[2], self.shape()[3]], *win);
        rec.finish(out, move |ctx| Ok(vec![Some(ctx.grad(0).col2im(size, &win)?)]))
    }

    /// `F.fold` on a batched (N, C*kh*kw, L) input: (N, C, H, W) (Col2ImBackward0).
    pub fn col2im(&self, output_size: [usize; 2], win: &Window) -> Result<Tensor> {
        let Some(rec) = begin("Col2ImBackward0", &[self]) else { return col2im_forward(self, output_size, win) };
        let out = col2im_forward(self, output_size, win)?;
        let win = *win;
        rec.finish(out, move |ctx| Ok(vec![Some(ctx.grad(0).im2col(&win)?)]))
    }

    /// Max pooling of a batched (N, C, H, W) input: (values, flat per-plane int64 indices)
    /// (MaxPool2DWithIndicesBackward0). The gradient is scattered (added) back at the indices,
    /// with a recorded scatter_add so double backward works.
    pub fn max_pool2d_with_indices(&self, win: &Window, ceil_mode: bool) -> Result<(Tensor, Tensor)> {
        let Some(rec) = begin("MaxPool2DWithIndicesBackward0", &[self]) else { return max_pool2d_forward(self, win, ceil_mode) };
        let (vals, idx) = max_pool2d_forward(self, win, ceil_mode)?;
        let shape = self.shape().to_vec();
        let flat_idx = idx.flatten(2, -1)?;
        let mut outs = rec.finish_many(vec![vals, idx], move |ctx| {
            let g = ctx.grad(0).flatten(2, -1)?;
            let base = Tensor::zeros_on(&[shape[0], shape[1], shape[2] * shape[3]], g.dtype(), g.device())?;
            let sizes: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
            Ok(vec![Some(base.scatter_add(2, &flat_idx, &g)?.reshape(&sizes)?)])
        })?;
        let idx = outs.pop().expect("two outputs");
        Ok((outs.pop().expect("two outputs"), idx))
    }
}
