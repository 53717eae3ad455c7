//! Gradients of im2col / col2im (`ops/conv.rs`): each is the other's adjoint, so each one's
//! backward is the other applied to the gradient, itself recorded (double backward works).
use super::super::node::begin;
use crate::error::Result;
use crate::ops::conv::{col2im_forward, im2col_forward, Window};
use crate::tensor::Tensor;

impl Tensor {
    /// `F.unfold` on a batched (N, C, H, W) input: (N, C*kh*kw, L) (Im2ColBackward0).
    pub fn im2col(&self, win: &Window) -> Result<Tensor> {
        let Some(rec) = begin("Im2ColBackward0", &[self]) else { return im2col_forward(self, win) };
        let out = im2col_forward(self, win)?;
        let (size, win) = ([self.shape()[2], self.shape()[3]], *win);
        Ok(rec.finish(out, move |ctx| Ok(vec![Some(ctx.grad(0).col2im(size, &win)?)])))
    }

    /// `F.fold` on a batched (N, C*kh*kw, L) input: (N, C, H, W) (Col2ImBackward0).
    pub fn col2im(&self, output_size: [usize; 2], win: &Window) -> Result<Tensor> {
        let Some(rec) = begin("Col2ImBackward0", &[self]) else { return col2im_forward(self, output_size, win) };
        let out = col2im_forward(self, output_size, win)?;
        let win = *win;
        Ok(rec.finish(out, move |ctx| Ok(vec![Some(ctx.grad(0).im2col(&win)?)])))
    }
}
