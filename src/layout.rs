//! Layout = shape + strides + offset (in elements). Every view op is a pure function on layouts;
//! no data moves here.
use crate::error::{Error, Result};
use crate::shape::{contiguous_strides, numel, normalize_dim};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub shape: Vec<usize>,
    pub strides: Vec<usize>,
    pub offset: usize,
}

impl Layout {
    pub fn contiguous(shape: &[usize]) -> Layout {
        Layout { shape: shape.to_vec(), strides: contiguous_strides(shape), offset: 0 }
    }
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }
    pub fn numel(&self) -> usize {
        numel(&self.shape)
    }
    pub fn is_contiguous(&self) -> bool {
        if self.numel() == 0 {
            return true;
        }
        let mut expected = 1;
        for i in (0..self.ndim()).rev() {
            if self.shape[i] != 1 && self.strides[i] != expected {
                return false;
            }
            expected *= self.shape[i];
        }
        true
    }
    /// True when the elements cover a dense block of storage exactly once in *some* order
    /// (e.g. a transposed contiguous tensor). Order-free ops (full sums, elementwise ops
    /// between tensors with identical strides) can then run straight over the storage.
    pub fn is_dense(&self) -> bool {
        let mut dims: Vec<(usize, usize)> =
            self.shape.iter().zip(&self.strides).filter(|(s, _)| **s != 1).map(|(a, b)| (*a, *b)).collect();
        dims.sort_by_key(|d| d.1);
        let mut expected = 1;
        for (size, stride) in dims {
            if stride != expected {
                return false;
            }
            expected *= size;
        }
        true
    }
    /// One past the largest storage offset this layout touches (0 for empty layouts).
    pub fn storage_extent(&self) -> usize {
        if self.numel() == 0 {
            return 0;
        }
        self.offset + self.shape.iter().zip(&self.strides).map(|(s, st)| (s - 1) * st).sum::<usize>() + 1
    }

    pub fn permute(&self, dims: &[usize]) -> Layout {
        Layout {
            shape: dims.iter().map(|&d| self.shape[d]).collect(),
            strides: dims.iter().map(|&d| self.strides[d]).collect(),
            offset: self.offset,
        }
    }
    pub fn transpose(&self, a: usize, b: usize) -> Layout {
        let mut l = self.clone();
        l.shape.swap(a, b);
        l.strides.swap(a, b);
        l
    }
    pub fn narrow(&self, dim: usize, start: usize, len: usize) -> Layout {
        let mut l = self.clone();
        if len > 0 {
            l.offset += start * l.strides[dim];
        }
        l.shape[dim] = len;
        l
    }
    /// A strided slice `start..start+len*step` along `dim`.
    pub fn slice(&self, dim: usize, start: usize, len: usize, step: usize) -> Layout {
        let mut l = self.narrow(dim, start, len);
        l.strides[dim] *= step;
        l
    }
    pub fn select(&self, dim: usize, index: usize) -> Layout {
        let mut l = self.clone();
        l.offset += index * l.strides[dim];
        l.shape.remove(dim);
        l.strides.remove(dim);
        l
    }
    pub fn unsqueeze(&self, dim: usize) -> Layout {
        let mut l = self.clone();
        let stride = if dim < l.ndim() { l.strides[dim] * l.shape[dim] } else { 1 };
        l.shape.insert(dim, 1);
        l.strides.insert(dim, stride);
        l
    }
    /// Broadcasts to `shape` by giving new and size-1 dims stride 0.
    pub fn expand(&self, shape: &[usize]) -> Result<Layout> {
        if shape.len() < self.ndim() {
            return Err(Error::Runtime(format!(
                "expand(torch.FloatTensor{{{:?}}}, size={}): the number of sizes provided ({}) must be greater or equal to the number of dimensions in the tensor ({})",
                self.shape, crate::shape::fmt_list(shape), shape.len(), self.ndim()
            )));
        }
        let lead = shape.len() - self.ndim();
        let mut strides = vec![0; shape.len()];
        // Checked from the last dim backwards: PyTorch's error names the rightmost mismatch.
        for i in (lead..shape.len()).rev() {
            let (s, st) = (self.shape[i - lead], self.strides[i - lead]);
            if s == shape[i] {
                strides[i] = st;
            } else if s == 1 {
                strides[i] = 0;
            } else {
                return Err(Error::Runtime(format!(
                    "The expanded size of the tensor ({}) must match the existing size ({}) at non-singleton dimension {}.  Target sizes: {}.  Tensor sizes: {}",
                    shape[i], s, i,
                    crate::shape::fmt_list(shape),
                    crate::shape::fmt_list(&self.shape)
                )));
            }
        }
        Ok(Layout { shape: shape.to_vec(), strides, offset: self.offset })
    }
    /// A view with a new shape, when the strides allow one without copying (PyTorch's
    /// `computeStride`): each run of merged dims must be contiguous within itself.
    pub fn view(&self, new_shape: &[usize]) -> Option<Layout> {
        let n = self.numel();
        if n == 0 || self.ndim() == 0 {
            return Some(Layout { shape: new_shape.to_vec(), strides: contiguous_strides(new_shape), offset: self.offset });
        }
        let mut new_strides = vec![0usize; new_shape.len()];
        let mut view_d = new_shape.len() as isize - 1;
        let mut chunk_base_stride = *self.strides.last().unwrap();
        let mut tensor_numel = 1usize;
        let mut view_numel = 1usize;
        for tensor_d in (0..self.ndim()).rev() {
            tensor_numel *= self.shape[tensor_d];
            let boundary = tensor_d == 0
                || (self.shape[tensor_d - 1] != 1 && self.strides[tensor_d - 1] != tensor_numel * chunk_base_stride);
            if boundary {
                while view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d as usize] == 1) {
                    new_strides[view_d as usize] = view_numel * chunk_base_stride;
                    view_numel *= new_shape[view_d as usize];
                    view_d -= 1;
                }
                if view_numel != tensor_numel {
                    return None;
                }
                if tensor_d > 0 {
                    chunk_base_stride = self.strides[tensor_d - 1];
                    tensor_numel = 1;
                    view_numel = 1;
                }
            }
        }
        if view_d != -1 {
            return None;
        }
        Some(Layout { shape: new_shape.to_vec(), strides: new_strides, offset: self.offset })
    }
    pub fn squeeze_dims(&self, dims: &[usize]) -> Layout {
        let mut l = Layout { shape: vec![], strides: vec![], offset: self.offset };
        for i in 0..self.ndim() {
            if dims.contains(&i) && self.shape[i] == 1 {
                continue;
            }
            l.shape.push(self.shape[i]);
            l.strides.push(self.strides[i]);
        }
        l
    }
    pub fn diagonal(&self, offset: i64, d1: usize, d2: usize) -> Layout {
        let (s1, s2) = (self.shape[d1] as i64, self.shape[d2] as i64);
        let len = if offset >= 0 { (s2 - offset).min(s1) } else { (s1 + offset).min(s2) }.max(0) as usize;
        let mut l = Layout { shape: vec![], strides: vec![], offset: self.offset };
        if len > 0 {
            l.offset += if offset >= 0 { offset as usize * self.strides[d2] } else { (-offset) as usize * self.strides[d1] };
        }
        for i in 0..self.ndim() {
            if i != d1 && i != d2 {
                l.shape.push(self.shape[i]);
                l.strides.push(self.strides[i]);
            }
        }
        l.shape.push(len);
        l.strides.push(self.strides[d1] + self.strides[d2]);
        l
    }
    /// `Tensor.unfold(dim, size, step)`: windows along `dim` become a new last dim.
    pub fn unfold(&self, dim: usize, size: usize, step: usize) -> Result<Layout> {
        let d = if self.ndim() == 0 { 1 } else { self.shape[dim] };
        if size > d {
            return Err(Error::Runtime(format!("maximum size for tensor at dimension {dim} is {d} but size is {size}")));
        }
        if step == 0 {
            return Err(Error::Runtime(format!("step is {step} but must be > 0")));
        }
        let mut l = self.clone();
        if l.ndim() == 0 {
            l.shape = vec![size];
            l.strides = vec![1];
            return Ok(l);
        }
        l.shape[dim] = (d - size) / step + 1;
        let st = l.strides[dim];
        l.strides[dim] = st * step;
        l.shape.push(size);
        l.strides.push(st);
        Ok(l)
    }
}

/// Merges adjacent dims that are contiguous with each other in *every* layout, so that strided
/// loops get the longest possible inner runs. All layouts must share one shape.
pub fn coalesce(shape: &[usize], strides: &mut [Vec<usize>]) -> Vec<usize> {
    let mut out_shape: Vec<usize> = Vec::with_capacity(shape.len());
    let mut out_strides: Vec<Vec<usize>> = vec![Vec::with_capacity(shape.len()); strides.len()];
    for d in 0..shape.len() {
        if shape[d] == 1 {
            continue;
        }
        let mergeable = !out_shape.is_empty()
            && strides.iter().enumerate().all(|(k, st)| out_strides[k].last().copied() == Some(st[d] * shape[d]));
        if mergeable {
            *out_shape.last_mut().unwrap() *= shape[d];
            for k in 0..strides.len() {
                *out_strides[k].last_mut().unwrap() = strides[k][d];
            }
        } else {
            out_shape.push(shape[d]);
            for k in 0..strides.len() {
                out_strides[k].push(strides[k][d]);
            }
        }
    }
    for k in 0..strides.len() {
        strides[k] = std::mem::take(&mut out_strides[k]);
    }
    out_shape
}

/// Normalise and validate `narrow` arguments.
pub fn check_narrow(l: &Layout, dim: i64, start: i64, length: i64) -> Result<(usize, usize, usize)> {
    if l.ndim() == 0 {
        return Err(Error::Runtime("narrow() cannot be applied to a 0-dim tensor.".into()));
    }
    let d = normalize_dim(dim, l.ndim())?;
    if length < 0 {
        return Err(Error::Runtime("narrow(): length must be non-negative.".into()));
    }
    let size = l.shape[d] as i64;
    if start < -size || start > size {
        return Err(Error::Index(format!(
            "start out of range (expected to be in range of [{}, {}], but got {})",
            -size, size, start
        )));
    }
    let start = if start < 0 { start + size } else { start };
    if length > size - start {
        return Err(Error::Runtime(format!("start ({start}) + length ({length}) exceeds dimension size ({size}).")));
    }
    Ok((d, start as usize, length as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguity() {
        let l = Layout::contiguous(&[2, 3]);
        assert!(l.is_contiguous());
        let t = l.transpose(0, 1);
        assert!(!t.is_contiguous());
        assert!(t.is_dense());
        assert!(!l.slice(1, 0, 2, 1).is_dense());
    }

    #[test]
    fn views() {
        let l = Layout::contiguous(&[2, 3, 4]);
        assert_eq!(l.view(&[6, 4]).unwrap().strides, vec![4, 1]);
        let t = l.transpose(1, 2); // [2,4,3] strides [12,1,4]
        assert!(t.view(&[8, 3]).is_none());
        assert_eq!(t.view(&[2, 12]), None);
        assert_eq!(t.view(&[2, 4, 3, 1]).unwrap().shape, vec![2, 4, 3, 1]);
        let e = l.expand(&[5, 2, 3, 4]).unwrap();
        assert_eq!(e.strides, vec![0, 12, 4, 1]);
        assert!(l.expand(&[2, 2, 4]).is_err());
    }

    #[test]
    fn coalescing() {
        let mut st = vec![vec![12, 4, 1], vec![0, 0, 1]];
        let shape = coalesce(&[2, 3, 4], &mut st);
        assert_eq!(shape, vec![6, 4]);
        assert_eq!(st, vec![vec![4, 1], vec![0, 1]]);
    }

    #[test]
    fn diag_and_unfold() {
        let l = Layout::contiguous(&[3, 3]);
        let d = l.diagonal(1, 0, 1);
        assert_eq!((d.shape.clone(), d.strides.clone(), d.offset), (vec![2], vec![4], 1));
        let u = Layout::contiguous(&[7]).unfold(0, 2, 2).unwrap();
        assert_eq!((u.shape, u.strides), (vec![3, 2], vec![2, 1]));
    }
}
