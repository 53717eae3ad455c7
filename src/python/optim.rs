//! Bindings of the fused optimizer steps (`crate::ops::optim`), for `ferrotorch/optim/`.
use crate::ops::optim::{AdagradStep, AdamStep, RmspropStep, SgdStep};
use crate::python::args;
use pyo3::prelude::*;

/// `_adam_step_(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps,
/// weight_decay, decoupled, maximize, step_size, bias_correction2_sqrt) -> bool`: one fused
/// Adam/AdamW step in place; False (nothing changed) when the tensors do not allow it.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn _adam_step_(
    py: Python,
    param: &Bound<PyAny>,
    grad: &Bound<PyAny>,
    exp_avg: &Bound<PyAny>,
    exp_avg_sq: &Bound<PyAny>,
    max_exp_avg_sq: Option<&Bound<PyAny>>,
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    decoupled: bool,
    maximize: bool,
    step_size: f64,
    bias_correction2_sqrt: f64,
) -> PyResult<bool> {
    let t = |obj: &Bound<PyAny>, name: &str| args::tensor(obj, "_adam_step_", name);
    let (p, g, m, v) = (t(param, "param")?, t(grad, "grad")?, t(exp_avg, "exp_avg")?, t(exp_avg_sq, "exp_avg_sq")?);
    let max = max_exp_avg_sq.map(|x| t(x, "max_exp_avg_sq")).transpose()?;
    let step = AdamStep { lr, beta1, beta2, eps, weight_decay, decoupled, maximize, step_size, bias_correction2_sqrt };
    Ok(py.allow_threads(|| step.apply(&p, &g, &m, &v, max.as_ref()))?)
}

/// `_sgd_step_(param, grad, momentum_buffer, lr, momentum, dampening, weight_decay, nesterov,
/// maximize) -> bool`: one fused SGD step in place; False (nothing changed) when the tensors do
/// not allow it.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn _sgd_step_(
    py: Python,
    param: &Bound<PyAny>,
    grad: &Bound<PyAny>,
    momentum_buffer: Option<&Bound<PyAny>>,
    lr: f64,
    momentum: f64,
    dampening: f64,
    weight_decay: f64,
    nesterov: bool,
    maximize: bool,
) -> PyResult<bool> {
    let t = |obj: &Bound<PyAny>, name: &str| args::tensor(obj, "_sgd_step_", name);
    let (p, g) = (t(param, "param")?, t(grad, "grad")?);
    let buf = momentum_buffer.map(|x| t(x, "momentum_buffer")).transpose()?;
    let step = SgdStep { lr, momentum, dampening, weight_decay, nesterov, maximize };
    Ok(py.allow_threads(|| step.apply(&p, &g, buf.as_ref()))?)
}

/// `_rmsprop_step_(param, grad, square_avg, momentum_buffer, grad_avg, lr, alpha, eps,
/// weight_decay, momentum, maximize) -> bool`: one fused RMSprop step in place (centered when
/// `grad_avg` is given); False (nothing changed) when the tensors do not allow it.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn _rmsprop_step_(
    py: Python,
    param: &Bound<PyAny>,
    grad: &Bound<PyAny>,
    square_avg: &Bound<PyAny>,
    momentum_buffer: Option<&Bound<PyAny>>,
    grad_avg: Option<&Bound<PyAny>>,
    lr: f64,
    alpha: f64,
    eps: f64,
    weight_decay: f64,
    momentum: f64,
    maximize: bool,
) -> PyResult<bool> {
    let t = |obj: &Bound<PyAny>, name: &str| args::tensor(obj, "_rmsprop_step_", name);
    let (p, g, v) = (t(param, "param")?, t(grad, "grad")?, t(square_avg, "square_avg")?);
    let buf = momentum_buffer.map(|x| t(x, "momentum_buffer")).transpose()?;
    let avg = grad_avg.map(|x| t(x, "grad_avg")).transpose()?;
    let step = RmspropStep { lr, alpha, eps, weight_decay, momentum, maximize };
    Ok(py.allow_threads(|| step.apply(&p, &g, &v, buf.as_ref(), avg.as_ref()))?)
}

/// `_adagrad_step_(param, grad, sum, clr, eps, weight_decay, maximize) -> bool`: one fused
/// Adagrad step in place with this step's decayed learning rate `clr`; False (nothing changed)
/// when the tensors do not allow it.
#[pyfunction]
fn _adagrad_step_(py: Python, param: &Bound<PyAny>, grad: &Bound<PyAny>, sum: &Bound<PyAny>, clr: f64, eps: f64, weight_decay: f64, maximize: bool) -> PyResult<bool> {
    let t = |obj: &Bound<PyAny>, name: &str| args::tensor(obj, "_adagrad_step_", name);
    let (p, g, s) = (t(param, "param")?, t(grad, "grad")?, t(sum, "sum")?);
    let step = AdagradStep { clr, eps, weight_decay, maximize };
    Ok(py.allow_threads(|| step.apply(&p, &g, &s))?)
}

pub fn register(m: &Bound<PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_rmsprop_step_, m)?)?;
    m.add_function(wrap_pyfunction!(_adagrad_step_, m)?)?;
    m.add_function(wrap_pyfunction!(_adam_step_, m)?)?;
    m.add_function(wrap_pyfunction!(_sgd_step_, m)?)?;
    Ok(())
}
