use super::*;
use crate::error::Error;

fn t(v: Vec<f32>, s: &[usize]) -> Tensor {
    Tensor::from_vec(v, s).unwrap()
}
fn i(v: Vec<i64>, s: &[usize]) -> Tensor {
    Tensor::from_vec(v, s).unwrap()
}

#[test]
fn gather_and_scatter() {
    let x = t((0..6).map(|v| v as f32).collect(), &[2, 3]);
    let g = x.gather(1, &i(vec![2, 0, 1, 1], &[2, 2])).unwrap();
    assert_eq!(g.to_vec::<f32>(), vec![2.0, 0.0, 4.0, 4.0]);
    // Transposed source: the strides, not the memory order, decide.
    let g = x.t().unwrap().gather(0, &i(vec![1, 0], &[1, 2])).unwrap();
    assert_eq!(g.to_vec::<f32>(), vec![1.0, 3.0]);
    assert!(x.gather(1, &i(vec![3], &[1, 1])).unwrap_err().to_string().contains("out of bounds"));
    let z = Tensor::zeros(&[2, 3], DType::F32).unwrap();
    let s = z.scatter(1, &i(vec![2, 0], &[2, 1]), Source::Scalar(Scalar::Float(1.5)), Reduce::None).unwrap();
    assert_eq!(s.to_vec::<f32>(), vec![0.0, 0.0, 1.5, 1.5, 0.0, 0.0]);
    let a = z.scatter(0, &i(vec![1, 1, 1], &[3, 1]), Source::Tensor(&t(vec![1., 2., 3.], &[3, 1])), Reduce::Add).unwrap();
    assert_eq!(a.to_vec::<f32>(), vec![0.0, 0.0, 0.0, 6.0, 0.0, 0.0]);
}

#[test]
fn index_family() {
    let x = t((0..6).map(|v| v as f32).collect(), &[3, 2]);
    assert_eq!(x.index_select(0, &i(vec![2, 0], &[2])).unwrap().to_vec::<f32>(), vec![4., 5., 0., 1.]);
    assert!(matches!(x.index_select(0, &i(vec![3], &[1])), Err(Error::Index(_))));
    let y = x.deep_clone().unwrap();
    y.index_add_(0, &i(vec![0, 0], &[2]), &t(vec![1.; 4], &[2, 2]), Scalar::Int(2)).unwrap();
    assert_eq!(y.to_vec::<f32>(), vec![4., 5., 2., 3., 4., 5.]);
    y.index_fill_(1, &i(vec![-1], &[1]), Scalar::Float(9.0)).unwrap();
    assert_eq!(y.to_vec::<f32>(), vec![4., 9., 2., 9., 4., 9.]);
}

#[test]
fn subscripts() {
    let x = t((0..12).map(|v| v as f32).collect(), &[3, 4]);
    let v = x.index(&[TensorIndex::Int(1), TensorIndex::Slice { start: None, stop: None, step: 2 }]).unwrap();
    assert!(v.same_storage(&x));
    assert_eq!(v.to_vec::<f32>(), vec![4., 6.]);
    let a = x.index(&[TensorIndex::Tensor(i(vec![2, 0], &[2])), TensorIndex::Tensor(i(vec![-1], &[1]))]).unwrap();
    assert_eq!(a.to_vec::<f32>(), vec![11., 3.]);
    let e = x.index(&[TensorIndex::Int(0), TensorIndex::Int(0), TensorIndex::Int(0)]).unwrap_err();
    assert_eq!(e.to_string(), "too many indices for tensor of dimension 2");
    let e = x.index(&[TensorIndex::Int(5)]).unwrap_err();
    assert_eq!(e.to_string(), "index 5 is out of bounds for dimension 0 with size 3");
    x.index_put_(&[TensorIndex::Ellipsis, TensorIndex::Tensor(i(vec![0], &[1]))], &Tensor::scalar(Scalar::Int(-1), DType::I64).unwrap(), false).unwrap();
    assert_eq!(x.to_vec::<f32>()[..5], [-1., 1., 2., 3., -1.]);
    let m = Tensor::from_vec(vec![true, false, true], &[3]).unwrap();
    assert_eq!(x.index(&[TensorIndex::Tensor(m)]).unwrap().shape(), &[2, 4]);
}

#[test]
fn where_and_masks() {
    let c = Tensor::from_vec(vec![true, false], &[2]).unwrap();
    let x = Tensor::from_vec(vec![1i32, 2], &[2]).unwrap();
    let w = where_(&c, Operand::Tensor(&x), Operand::Scalar(Scalar::Int(7))).unwrap();
    assert_eq!(w.dtype(), DType::I32);
    assert_eq!(w.to_vec::<i32>(), vec![1, 7]);
    assert_eq!(x.masked_select(&c).unwrap().to_vec::<i32>(), vec![1]);
    assert_eq!(x.masked_fill(&c, Scalar::Int(0)).unwrap().to_vec::<i32>(), vec![0, 2]);
    assert_eq!(x.nonzero().unwrap().shape(), &[2, 1]);
}
