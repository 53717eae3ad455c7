//! `torch.einsum`, lowered onto views and batched matrix products.
//!
//! Each operand first takes its repeated-subscript diagonals (a view) and sums away the
//! subscripts nobody else needs. Operands are then contracted left to right: the subscripts
//! shared by both sides and still needed become batch dims, the shared ones no longer needed
//! are contracted, and the rest are rows/columns, so every contraction is one `bmm` of
//! permuted-and-reshaped operands. Sums use a product with a ones vector, so they run on the
//! same kernel.
use crate::dtype::Scalar;
use crate::error::Result;
use crate::tensor::Tensor;
use crate::bail;

/// Subscript ids: 'A'..'Z' are 0..26 and 'a'..'z' are 26..52 (so sorting ids sorts subscripts
/// the way the implicit output orders them); ellipsis dims come after, aligned to the right.
const ELLIPSIS_BASE: usize = 52;

fn letter_id(c: char) -> Option<usize> {
    match c {
        'A'..='Z' => Some(c as usize - 'A' as usize),
        'a'..='z' => Some(c as usize - 'a' as usize + 26),
        _ => None,
    }
}

fn id_char(id: usize) -> String {
    match id {
        0..=25 => ((b'A' + id as u8) as char).to_string(),
        26..=51 => ((b'a' + (id - 26) as u8) as char).to_string(),
        _ => "...".into(),
    }
}

/// One side of the equation: subscripts in order, with `None` where `...` stands.
struct Term {
    letters: Vec<Option<usize>>,
    has_ellipsis: bool,
}

/// Parses `term` starting at byte `start` of the equation (for error positions).
fn parse_term(term: &str, start: usize) -> Result<Term> {
    let mut letters = vec![];
    let mut has_ellipsis = false;
    let chars: Vec<char> = term.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '.' {
            if chars.get(i + 1) != Some(&'.') || chars.get(i + 2) != Some(&'.') {
                bail!(Runtime, "einsum(): found '.' for operand that is not part of any ellipsis");
            }
            if has_ellipsis {
                bail!(Runtime, "einsum(): found more than one ellipsis ('...') for an operand");
            }
            has_ellipsis = true;
            letters.push(None);
            i += 3;
            continue;
        }
        if c == ' ' {
            i += 1;
            continue;
        }
        match letter_id(c) {
            Some(id) => letters.push(Some(id)),
            None => bail!(Runtime, "einsum(): invalid subscript given at index {} in the equation string, subscripts must be in [a-zA-Z]", start + i),
        }
        i += 1;
    }
    Ok(Term { letters, has_ellipsis })
}

/// An operand with one subscript id per dim.
struct Labeled {
    t: Tensor,
    ids: Vec<usize>,
}

/// Expands a term's ellipsis against the operand's rank (`ell` = the widest ellipsis).
fn label_dims(term: &Term, ndim: usize, ell: usize, index: usize) -> Result<Vec<usize>> {
    let named = term.letters.iter().filter(|l| l.is_some()).count();
    if !term.has_ellipsis && named != ndim {
        bail!(Runtime, "einsum(): the number of subscripts in the equation ({}) does not match the number of dimensions ({}) for operand {} and no ellipsis was given", named, ndim, index);
    }
    if term.has_ellipsis && named > ndim {
        bail!(Runtime, "einsum(): the number of subscripts in the equation ({}) is more than the number of dimensions ({}) for operand {}", named, ndim, index);
    }
    let own = ndim - named;
    let mut ids = Vec::with_capacity(ndim);
    for l in &term.letters {
        match l {
            Some(id) => ids.push(*id),
            None => ids.extend((0..own).map(|j| ELLIPSIS_BASE + ell - own + j)),
        }
    }
    Ok(ids)
}

/// Takes diagonals for subscripts repeated within one operand (`ii->i`).
fn take_diagonals(mut op: Labeled, index: usize) -> Result<Labeled> {
    loop {
        let dup = (0..op.ids.len()).find_map(|i| (i + 1..op.ids.len()).find(|&j| op.ids[j] == op.ids[i]).map(|j| (i, j)));
        let Some((i, j)) = dup else { return Ok(op) };
        let (si, sj) = (op.t.shape()[i], op.t.shape()[j]);
        if si != sj {
            bail!(Runtime, "einsum(): subscript {} is repeated for operand {} but the sizes don't match, {} != {}", id_char(op.ids[i]), index, si, sj);
        }
        let id = op.ids[i];
        op.t = op.t.diagonal(0, i as i64, j as i64)?;
        op.ids.remove(j);
        op.ids.remove(i);
        op.ids.push(id);
    }
}

/// Sums `op` over the dims whose ids are not in `keep`.
fn sum_out(op: Labeled, keep: &dyn Fn(usize) -> bool) -> Result<Labeled> {
    let (kept, summed): (Vec<usize>, Vec<usize>) = (0..op.ids.len()).partition(|&d| keep(op.ids[d]));
    if summed.is_empty() {
        return Ok(op);
    }
    let perm: Vec<i64> = kept.iter().chain(&summed).map(|&d| d as i64).collect();
    let rows: usize = kept.iter().map(|&d| op.t.shape()[d]).product();
    let k: usize = summed.iter().map(|&d| op.t.shape()[d]).product();
    let flat = op.t.permute(&perm)?.reshape(&[rows as i64, k as i64])?;
    let ones = Tensor::full_on(&[k, 1], Scalar::Int(1), op.t.dtype(), op.t.device())?;
    let shape: Vec<i64> = kept.iter().map(|&d| op.t.shape()[d] as i64).collect();
    let t = flat.matmul(&ones)?.reshape(&shape)?;
    Ok(Labeled { t, ids: kept.iter().map(|&d| op.ids[d]).collect() })
}

/// Contracts two operands, keeping the ids for which `keep` holds.
fn contract(a: Labeled, b: Labeled, keep: &dyn Fn(usize) -> bool) -> Result<Labeled> {
    let a = sum_out(a, &|id| keep(id) || b.ids.contains(&id))?;
    let b = sum_out(b, &|id| keep(id) || a.ids.contains(&id))?;
    let pos = |ids: &[usize], id: usize| ids.iter().position(|&x| x == id);
    let batch: Vec<usize> = a.ids.iter().copied().filter(|&id| pos(&b.ids, id).is_some() && keep(id)).collect();
    let inner: Vec<usize> = a.ids.iter().copied().filter(|&id| pos(&b.ids, id).is_some() && !keep(id)).collect();
    let rows: Vec<usize> = a.ids.iter().copied().filter(|&id| pos(&b.ids, id).is_none()).collect();
    let cols: Vec<usize> = b.ids.iter().copied().filter(|&id| pos(&a.ids, id).is_none()).collect();
    // Shared dims broadcast (size 1 against n) before the product.
    let size_of = |id: usize| {
        let sa = pos(&a.ids, id).map_or(1, |d| a.t.shape()[d]);
        let sb = pos(&b.ids, id).map_or(1, |d| b.t.shape()[d]);
        sa.max(sb)
    };
    let arrange = |op: &Labeled, order: &[&[usize]]| -> Result<Tensor> {
        let ids: Vec<usize> = order.iter().flat_map(|g| g.iter().copied()).collect();
        // Every id in `order` belongs to `op` (batch, rows/cols and inner ids are its own).
        let perm: Vec<i64> = ids.iter().map(|&id| pos(&op.ids, id).unwrap_or(0) as i64).collect();
        let shape: Vec<usize> = ids.iter().map(|&id| size_of(id)).collect();
        let t = op.t.permute(&perm)?.expand(&shape)?;
        let group = |g: &[usize]| g.iter().map(|&id| size_of(id)).product::<usize>() as i64;
        t.reshape(&[group(order[0]), group(order[1]), group(order[2])])
    };
    let ta = arrange(&a, &[&batch, &rows, &inner])?;
    let tb = arrange(&b, &[&batch, &inner, &cols])?;
    let prod = ta.matmul(&tb)?;
    let ids: Vec<usize> = batch.iter().chain(&rows).chain(&cols).copied().collect();
    let shape: Vec<i64> = ids.iter().map(|&id| size_of(id) as i64).collect();
    Ok(Labeled { t: prod.reshape(&shape)?, ids })
}

/// `torch.einsum(equation, *operands)`.
pub fn einsum(equation: &str, operands: &[Tensor]) -> Result<Tensor> {
    if operands.is_empty() {
        bail!(Runtime, "einsum(): must provide at least one operand");
    }
    let (lhs, rhs) = match equation.find("->") {
        Some(p) => (&equation[..p], Some((&equation[p + 2..], p + 2))),
        None => (equation, None),
    };
    let mut terms = vec![];
    let mut start = 0;
    for part in lhs.split(',') {
        terms.push(parse_term(part, start)?);
        start += part.len() + 1;
    }
    if terms.len() < operands.len() {
        bail!(Runtime, "einsum(): more operands were provided than specified in the equation");
    }
    if terms.len() > operands.len() {
        bail!(Runtime, "einsum(): fewer operands were provided than specified in the equation");
    }
    let ell = terms
        .iter()
        .zip(operands)
        .filter(|(t, _)| t.has_ellipsis)
        .map(|(t, o)| o.ndim().saturating_sub(t.letters.iter().filter(|l| l.is_some()).count()))
        .max()
        .unwrap_or(0);
    let mut ops = vec![];
    for (i, (term, t)) in terms.iter().zip(operands).enumerate() {
        let ids = label_dims(term, t.ndim(), ell, i)?;
        ops.push(take_diagonals(Labeled { t: t.clone(), ids }, i)?);
    }
    // Every subscript has one size across operands, up to broadcasting of size 1.
    let mut sizes: Vec<Option<usize>> = vec![None; ELLIPSIS_BASE + ell];
    for (i, op) in ops.iter().enumerate() {
        for (d, &id) in op.ids.iter().enumerate() {
            let s = op.t.shape()[d];
            match sizes[id] {
                Some(prev) if prev != s && prev != 1 && s != 1 => {
                    if id >= ELLIPSIS_BASE {
                        bail!(Runtime, "einsum(): operands do not broadcast with remapped shapes (original->remapped): ellipsis dims of size {} and {} for operand {}", prev, s, i);
                    }
                    bail!(Runtime, "einsum(): subscript {} has size {} for operand {} which does not broadcast with previously seen size {}", id_char(id), s, i, prev);
                }
                Some(prev) if prev != 1 => {}
                _ => sizes[id] = Some(s),
            }
        }
    }
    let ell_ids: Vec<usize> = (ELLIPSIS_BASE..ELLIPSIS_BASE + ell).collect();
    let output: Vec<usize> = match rhs {
        Some((r, pos)) => {
            let term = parse_term(r, pos)?;
            let mut out = vec![];
            for l in &term.letters {
                match l {
                    Some(id) => {
                        if out.contains(id) {
                            bail!(Runtime, "einsum(): output subscript {} appears more than once in the output", id_char(*id));
                        }
                        if sizes[*id].is_none() {
                            bail!(Runtime, "einsum(): output subscript {} does not appear in the equation for any input operand", id_char(*id));
                        }
                        out.push(*id);
                    }
                    None => out.extend(&ell_ids),
                }
            }
            out
        }
        None => {
            let mut count = vec![0usize; ELLIPSIS_BASE];
            for term in &terms {
                for id in term.letters.iter().flatten() {
                    count[*id] += 1;
                }
            }
            ell_ids.iter().copied().chain((0..ELLIPSIS_BASE).filter(|&id| count[id] == 1)).collect()
        }
    };
    let n = ops.len();
    let mut ops = ops.into_iter();
    let mut acc = ops.next().expect("at least one operand");
    let mut rest: Vec<Labeled> = ops.collect();
    if rest.is_empty() {
        acc = sum_out(acc, &|id| output.contains(&id))?;
    }
    let mut i = 0;
    while !rest.is_empty() {
        let b = rest.remove(0);
        let later: Vec<usize> = rest.iter().flat_map(|o| o.ids.iter().copied()).collect();
        let keep = |id: usize| output.contains(&id) || later.contains(&id);
        acc = contract(acc, b, &keep)?;
        i += 1;
    }
    debug_assert!(i + 1 == n);
    // Output subscripts every operand had at size 1 keep size 1; permute into output order.
    let perm: Vec<i64> = output.iter().map(|id| acc.ids.iter().position(|x| x == id).map_or(0, |p| p as i64)).collect();
    if perm.len() != acc.ids.len() {
        bail!(Runtime, "einsum(): internal error: output subscripts do not match");
    }
    acc.t.permute(&perm)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        Tensor::from_vec((0..n).map(|x| x as f64).collect(), shape).unwrap()
    }

    #[test]
    fn matmul_trace_diag_outer() {
        let a = seq(&[2, 3]);
        let b = seq(&[3, 2]);
        assert_eq!(einsum("ij,jk->ik", &[a.clone(), b.clone()]).unwrap().to_vec::<f64>(), a.matmul(&b).unwrap().to_vec::<f64>());
        assert_eq!(einsum("ij,jk", &[a.clone(), b.clone()]).unwrap().to_vec::<f64>(), a.matmul(&b).unwrap().to_vec::<f64>());
        let m = seq(&[3, 3]);
        assert_eq!(einsum("ii", &[m.clone()]).unwrap().to_vec::<f64>(), vec![12.0]);
        assert_eq!(einsum("ii->i", &[m.clone()]).unwrap().to_vec::<f64>(), vec![0.0, 4.0, 8.0]);
        assert_eq!(einsum("ij->ji", &[a.clone()]).unwrap().shape(), &[3, 2]);
        assert_eq!(einsum("i,j->ij", &[seq(&[2]), seq(&[3])]).unwrap().to_vec::<f64>(), vec![0., 0., 0., 0., 1., 2.]);
        assert_eq!(einsum("...ij,...jk", &[seq(&[4, 2, 3]), b.clone()]).unwrap().shape(), &[4, 2, 2]);
        assert_eq!(einsum("ij->", &[a.clone()]).unwrap().to_vec::<f64>(), vec![15.0]);
        assert!(einsum("ij,jk", &[a.clone(), a.clone()]).is_err());
        assert!(einsum("ij", &[a.clone(), a.clone()]).is_err());
    }
}
