//! Shape arithmetic: broadcasting and dim normalisation, with PyTorch's error messages.
use crate::error::{Error, Result};

pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Contiguous (row-major) strides for `shape`, in elements.
pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; shape.len()];
    let mut acc = 1usize;
    for i in (0..shape.len()).rev() {
        strides[i] = acc;
        acc = acc.saturating_mul(shape[i].max(1));
    }
    strides
}

/// Normalises a possibly negative dim against `ndim` (a 0-d tensor accepts dims -1 and 0).
pub fn normalize_dim(dim: i64, ndim: usize) -> Result<usize> {
    let n = ndim.max(1) as i64;
    if dim < -n || dim >= n {
        return Err(Error::Index(format!(
            "Dimension out of range (expected to be in range of [{}, {}], but got {})",
            -n,
            n - 1,
            dim
        )));
    }
    Ok(if dim < 0 { (dim + n) as usize } else { dim as usize })
}

/// Like `normalize_dim` but for inserting a new dim (`unsqueeze`): the range is one larger.
pub fn normalize_insert_dim(dim: i64, ndim: usize) -> Result<usize> {
    normalize_dim(dim, ndim + 1)
}

/// Normalises a list of dims, rejecting repeats as PyTorch does.
pub fn normalize_dims(dims: &[i64], ndim: usize) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(dims.len());
    for &d in dims {
        let nd = normalize_dim(d, ndim)?;
        if out.contains(&nd) {
            return Err(Error::Runtime(format!("dim {nd} appears multiple times in the list of dims")));
        }
        out.push(nd);
    }
    Ok(out)
}

/// The broadcast shape of two shapes (numpy rules), or PyTorch's error naming both sizes.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    // From the last dim backwards, so the error names the first mismatch from the right, as
    // PyTorch's does.
    for i in (0..n).rev() {
        let da = if i + a.len() >= n { a[i + a.len() - n] } else { 1 };
        let db = if i + b.len() >= n { b[i + b.len() - n] } else { 1 };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(Error::Runtime(format!(
                "The size of tensor a ({da}) must match the size of tensor b ({db}) at non-singleton dimension {i}"
            )));
        };
    }
    Ok(out)
}

pub fn broadcast_all(shapes: &[&[usize]]) -> Result<Vec<usize>> {
    let mut out: Vec<usize> = Vec::new();
    for s in shapes {
        out = broadcast_shapes(&out, s)?;
    }
    Ok(out)
}

/// Resolves a single `-1` in a requested shape against `numel`, as `view`/`reshape` do.
pub fn infer_size(requested: &[i64], numel: usize) -> Result<Vec<usize>> {
    let mut infer = None;
    let mut known: usize = 1;
    for (i, &s) in requested.iter().enumerate() {
        if s == -1 {
            if infer.is_some() {
                return Err(Error::Runtime("only one dimension can be inferred".into()));
            }
            infer = Some(i);
        } else if s < 0 {
            return Err(Error::Runtime(format!("invalid shape dimension {s}")));
        } else {
            known = known.checked_mul(s as usize).ok_or_else(|| Error::Runtime("shape is too large".into()))?;
        }
    }
    let shape_str = fmt_list(requested);
    let mut out: Vec<usize> = requested.iter().map(|&s| s.max(0) as usize).collect();
    match infer {
        Some(i) => {
            if known == 0 || numel % known != 0 {
                return Err(Error::Runtime(format!("shape '{shape_str}' is invalid for input of size {numel}")));
            }
            out[i] = numel / known;
        }
        None => {
            if known != numel {
                return Err(Error::Runtime(format!("shape '{shape_str}' is invalid for input of size {numel}")));
            }
        }
    }
    Ok(out)
}

/// Sizes as PyTorch prints them in messages: `[2, 3]`.
pub fn fmt_list<T: std::fmt::Display>(sizes: &[T]) -> String {
    format!("[{}]", sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "))
}

/// Checks user-supplied sizes (creation functions) for negatives and overflow.
pub fn check_sizes(sizes: &[i64]) -> Result<Vec<usize>> {
    let mut total: usize = 1;
    let mut out = Vec::with_capacity(sizes.len());
    for &s in sizes {
        if s < 0 {
            return Err(Error::Runtime(format!(
                "Trying to create tensor with negative dimension {s}: {}",
                fmt_list(sizes)
            )));
        }
        total = total
            .checked_mul(s as usize)
            .filter(|t| *t <= (isize::MAX as usize) / 8)
            .ok_or_else(|| Error::Runtime(format!("Storage size calculation overflowed with sizes={sizes:?}")))?;
        out.push(s as usize);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting() {
        assert_eq!(broadcast_shapes(&[3, 1], &[4]).unwrap(), vec![3, 4]);
        assert_eq!(broadcast_shapes(&[], &[2, 2]).unwrap(), vec![2, 2]);
        assert_eq!(broadcast_shapes(&[0, 1], &[1, 5]).unwrap(), vec![0, 5]);
        let e = broadcast_shapes(&[3], &[4]).unwrap_err();
        assert!(e.to_string().contains("size of tensor a (3) must match the size of tensor b (4)"));
    }

    #[test]
    fn dims() {
        assert_eq!(normalize_dim(-1, 3).unwrap(), 2);
        assert_eq!(normalize_dim(0, 0).unwrap(), 0);
        assert!(normalize_dim(3, 3).is_err());
        assert!(normalize_dims(&[0, -2], 2).is_err());
    }

    #[test]
    fn infer() {
        assert_eq!(infer_size(&[-1, 4], 8).unwrap(), vec![2, 4]);
        assert!(infer_size(&[-1, 3], 8).is_err());
        assert!(infer_size(&[-1, -1], 8).is_err());
        assert_eq!(infer_size(&[0, -1], 0).is_err(), true);
    }
}
