//! Autograd bindings: tensor attributes (`requires_grad`, `.grad`, `grad_fn`, hooks),
//! `backward`/`grad`, grad modes, saved-tensor hooks, and the node behind custom
//! `autograd.Function`s.
use crate::autograd::engine::{self, Deliver, Options};
use crate::autograd::node::{Hook, Node, Save, TensorMeta};
use crate::autograd::saved_hooks::{self, PackedTensor, SavedTensorHooks};
use crate::autograd::{self, anomaly, mode};
use crate::python::error::callback_error;
use crate::python::tensor::PyTensor;
use crate::tensor::Tensor;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use std::sync::Arc;

/// A `grad_fn`: PyTorch's node objects (`MulBackward0`, `AccumulateGrad`, ...).
#[pyclass(name = "Node", module = "ferrotorch.autograd.graph", frozen)]
pub struct PyNode {
    node: Arc<Node>,
}

fn node_object(py: Python, edge: Option<&crate::autograd::Edge>) -> PyResult<(PyObject, usize)> {
    Ok(match edge {
        None => (py.None(), 0),
        Some(e) => {
            (Py::new(py, PyNode { node: e.node.clone() })?.into_any(), e.input_nr)
        }
    })
}

#[pymethods]
impl PyNode {
    fn name(&self) -> String {
        self.node.name().to_string()
    }
    #[getter]
    fn next_functions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let items: PyResult<Vec<Bound<PyTuple>>> = self
            .node
            .next_edges()
            .iter()
            .map(|e| {
                let (n, nr) = node_object(py, e.as_ref())?;
                PyTuple::new(py, [n, nr.into_pyobject(py)?.into_any().unbind()])
            })
            .collect();
        PyTuple::new(py, items?)
    }
    /// The leaf tensor of an AccumulateGrad node.
    #[getter]
    fn variable(&self) -> PyResult<PyTensor> {
        match self.node.variable() {
            Some(t) => Ok(PyTensor::new(t)),
            None => Err(pyo3::exceptions::PyAttributeError::new_err(format!("'{}' object has no attribute 'variable'", self.node.name()))),
        }
    }
    #[getter]
    fn _saved_tensors(&self, py: Python) -> PyResult<Vec<Py<PyTensor>>> {
        self.node.saved_tensors()?.into_iter().map(|t| Py::new(py, PyTensor::new(t))).collect()
    }
    fn __repr__(&self) -> String {
        format!("<{} object at {:#x}>", self.node.name(), Arc::as_ptr(&self.node) as usize)
    }
    fn __eq__(&self, other: &Bound<PyAny>) -> bool {
        other.downcast::<PyNode>().is_ok_and(|o| Arc::ptr_eq(&o.get().node, &self.node))
    }
    fn __hash__(&self) -> isize {
        Arc::as_ptr(&self.node) as isize
    }
}

/// The handle `register_hook` returns; `remove()` unregisters the hook.
#[pyclass(name = "RemovableHandle", module = "ferrotorch.utils.hooks")]
pub struct PyHookHandle {
    target: HookTarget,
    id: u64,
}

enum HookTarget {
    Node(Arc<Node>),
    Leaf(Arc<crate::autograd::AutogradMeta>),
    PostAccumulate(Arc<crate::autograd::AutogradMeta>),
}

#[pymethods]
impl PyHookHandle {
    fn remove(&self) {
        match &self.target {
            HookTarget::Node(n) => n.remove_pre_hook(self.id),
            HookTarget::Leaf(m) => m.lock().hooks.retain(|(i, _)| *i != self.id),
            HookTarget::PostAccumulate(m) => m.lock().post_accumulate_hooks.retain(|(i, _)| *i != self.id),
        }
    }
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }
    fn __exit__(&self, _a: &Bound<PyAny>, _b: &Bound<PyAny>, _c: &Bound<PyAny>) {
        self.remove()
    }
}

/// Wraps a Python callable `hook(grad) -> Tensor | None` as a core hook.
fn python_hook(f: PyObject) -> Hook {
    Arc::new(move |g: &Tensor| {
        Python::with_gil(|py| {
            let r = f.call1(py, (PyTensor::new(g.clone()),)).map_err(callback_error)?;
            if r.is_none(py) {
                return Ok(None);
            }
            match r.downcast_bound::<PyTensor>(py) {
                Ok(t) => Ok(Some(t.borrow().t.clone())),
                Err(_) => Err(callback_error(PyTypeError::new_err("hook returned an object that is not a Tensor or None"))),
            }
        })
    })
}

fn tensors_of(list: &Bound<PyAny>) -> PyResult<Vec<Tensor>> {
    if let Ok(t) = list.downcast::<PyTensor>() {
        return Ok(vec![t.borrow().t.clone()]);
    }
    list.try_iter()?.map(|x| Ok(x?.downcast::<PyTensor>()?.borrow().t.clone())).collect()
}

fn optional_tensors(list: Option<&Bound<PyAny>>, n: usize) -> PyResult<Vec<Option<Tensor>>> {
    let Some(list) = list.filter(|l| !l.is_none()) else { return Ok(vec![None; n]) };
    if let Ok(t) = list.downcast::<PyTensor>() {
        return Ok(vec![Some(t.borrow().t.clone())]);
    }
    let v: Vec<Option<Tensor>> = list
        .try_iter()?
        .map(|x| {
            let x = x?;
            if x.is_none() {
                Ok(None)
            } else {
                Ok(Some(x.downcast::<PyTensor>()?.borrow().t.clone()))
            }
        })
        .collect::<PyResult<_>>()?;
    if v.len() != n {
        return Err(PyRuntimeError::new_err(format!("grad can be implicitly created only for scalar outputs; got {} gradients for {} outputs", v.len(), n)));
    }
    Ok(v)
}

#[pymethods]
impl PyTensor {
    #[getter(requires_grad)]
    fn get_requires_grad(&self) -> bool {
        self.t.requires_grad()
    }
    #[setter(requires_grad)]
    fn set_requires_grad(&mut self, value: bool) -> PyResult<()> {
        if !self.t.is_leaf() {
            if value {
                return Ok(());
            }
            return Err(PyRuntimeError::new_err(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().",
            ));
        }
        if value && !self.t.dtype().is_differentiable() {
            return Err(PyRuntimeError::new_err("only Tensors of floating point and complex dtype can require gradients"));
        }
        if !value && self.t.autograd.get().is_none() {
            return Ok(());
        }
        self.t.meta_mut().lock().requires_grad = value;
        Ok(())
    }
    #[pyo3(signature = (requires_grad=true))]
    fn requires_grad_(slf: Bound<'_, Self>, requires_grad: bool) -> PyResult<Bound<'_, Self>> {
        if requires_grad && slf.borrow().t.is_leaf() && !slf.borrow().t.dtype().is_differentiable() {
            // PyTorch words this one without "and complex", unlike the setter's.
            return Err(PyRuntimeError::new_err("only Tensors of floating point dtype can require gradients"));
        }
        slf.borrow_mut().set_requires_grad(requires_grad)?;
        Ok(slf)
    }
    #[getter]
    fn is_leaf(&self) -> bool {
        self.t.is_leaf()
    }
    #[getter(grad)]
    fn get_grad(&self, py: Python) -> PyResult<Option<Py<PyTensor>>> {
        if !self.t.is_leaf() && !self.t.retains_grad() {
            let warnings = py.import("warnings")?;
            warnings.call_method1(
                "warn",
                ("The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead.", py.get_type::<pyo3::exceptions::PyUserWarning>(), 2),
            )?;
        }
        let mut cached = self.grad_object.lock().unwrap_or_else(|e| e.into_inner());
        let Some(grad) = self.t.grad() else {
            *cached = None;
            return Ok(None);
        };
        if let Some(obj) = cached.as_ref() {
            if obj.try_borrow(py).is_ok_and(|o| o.t.is_same_view(&grad)) {
                return Ok(Some(obj.clone_ref(py)));
            }
        }
        let obj = Py::new(py, PyTensor::new(grad))?;
        *cached = Some(obj.clone_ref(py));
        Ok(Some(obj))
    }
    #[setter(grad)]
    fn set_grad_attr(&mut self, value: Option<Bound<PyAny>>) -> PyResult<()> {
        let value = match value {
            None => None,
            Some(v) if v.is_none() => None,
            Some(v) => Some(v.downcast_into::<PyTensor>().map_err(|e| {
                PyTypeError::new_err(format!(
                    "assigned grad expected to be a Tensor or None but got grad of type {}",
                    e.into_inner().get_type().name().map(|n| n.to_string()).unwrap_or_default()
                ))
            })?),
        };
        if let Some(g) = &value {
            let g = g.borrow();
            if g.t.shape() != self.t.shape() {
                return Err(PyRuntimeError::new_err(format!(
                    "attempting to assign a gradient of size '{:?}' to a tensor of size '{:?}'. Please ensure that the \
                     gradient and the tensor are the same size",
                    g.t.shape(),
                    self.t.shape()
                )));
            }
            if g.t.dtype() != self.t.dtype() {
                return Err(PyRuntimeError::new_err(format!(
                    "attempting to assign a gradient with dtype '{}' to a tensor with grad_dtype '{}'. The gradient \
                     must match the tensor's grad_dtype (defaults to the tensor's dtype). You can set the tensor's \
                     grad_dtype attribute with a specific dtype, or None to allow any dtype. Set grad_dtype with \
                     caution. Diverging the dtypes of a tensor and its gradient may break downstream systems that \
                     assume they match.",
                    g.t.dtype().cpp_name(),
                    self.t.dtype().scalar_name()
                )));
            }
        }
        self.t.set_grad(value.as_ref().map(|g| g.borrow().t.clone()));
        *self.grad_object.lock().unwrap_or_else(|e| e.into_inner()) = value.map(|g| g.unbind());
        Ok(())
    }
    #[getter]
    fn grad_fn(&self, py: Python) -> PyResult<Option<Py<PyNode>>> {
        self.t.grad_fn().map(|node| Py::new(py, PyNode { node })).transpose()
    }
    #[getter]
    fn output_nr(&self) -> usize {
        self.t.output_nr()
    }
    #[getter]
    fn _version(&self) -> u64 {
        self.t.storage().version()
    }
    #[getter]
    fn retains_grad(&self) -> bool {
        self.t.retains_grad()
    }
    fn retain_grad(&mut self) -> PyResult<()> {
        if !self.t.requires_grad() {
            return Err(PyRuntimeError::new_err("can't retain_grad on Tensor that has requires_grad=False"));
        }
        let Some(node) = self.t.grad_fn() else { return Ok(()) };
        if self.t.retains_grad() {
            return Ok(());
        }
        let meta = self.t.meta_mut();
        node.retain_output(self.t.output_nr(), &meta);
        meta.lock().retains_grad = true;
        Ok(())
    }
    fn register_hook(&mut self, hook: PyObject) -> PyResult<PyHookHandle> {
        if !self.t.requires_grad() {
            return Err(PyRuntimeError::new_err("cannot register a hook on a tensor that doesn't require gradient"));
        }
        let h = python_hook(hook);
        Ok(match self.t.grad_fn() {
            Some(node) => PyHookHandle { id: node.add_pre_hook(self.t.output_nr(), h), target: HookTarget::Node(node) },
            None => {
                let meta = self.t.meta_mut();
                let id = crate::autograd::node::next_hook_id();
                meta.lock().hooks.push((id, h));
                PyHookHandle { target: HookTarget::Leaf(meta), id }
            }
        })
    }
    /// `hook(tensor)` runs after `backward` accumulated this leaf's `.grad` (the optimizer-in-backward
    /// pattern). The hook gets this very Python object (held weakly, so the hook does not keep the
    /// tensor alive), as PyTorch passes the parameter itself: it may key a dict by it.
    fn register_post_accumulate_grad_hook(slf: Bound<'_, Self>, hook: PyObject) -> PyResult<PyHookHandle> {
        let t = slf.borrow().t.clone();
        if !t.is_leaf() {
            return Err(PyRuntimeError::new_err("post accumulate grad hooks cannot be registered on non-leaf tensors"));
        }
        if !t.requires_grad() {
            return Err(PyRuntimeError::new_err("cannot register a hook on a tensor that doesn't require gradient"));
        }
        let py = slf.py();
        let this: PyObject = py.import("weakref")?.getattr("ref")?.call1((&slf,))?.unbind();
        let h: crate::autograd::node::PostAccumulateHook = Arc::new(move |variable: &Tensor| {
            Python::with_gil(|py| {
                let target = this.call0(py).map_err(callback_error)?;
                let target = if target.is_none(py) { Py::new(py, PyTensor::new(variable.clone())).map_err(callback_error)?.into_any() } else { target };
                let r = hook.call1(py, (target,)).map_err(callback_error)?;
                if !r.is_none(py) {
                    let name = r.bind(py).get_type().name().map(|n| n.to_string()).unwrap_or_default();
                    return Err(callback_error(PyTypeError::new_err(format!("expected Variable, but hook returned '{name}'"))));
                }
                Ok(())
            })
        });
        let meta = t.meta_mut();
        let id = crate::autograd::node::next_hook_id();
        meta.lock().post_accumulate_hooks.push((id, h));
        Ok(PyHookHandle { target: HookTarget::PostAccumulate(meta), id })
    }
    fn detach(&self) -> PyTensor {
        PyTensor::new(self.t.detach())
    }
    fn detach_(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        {
            let mut s = slf.borrow_mut();
            if s.t.view_base().is_some() {
                return Err(PyRuntimeError::new_err(
                    "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) \
                     for training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and \
                     hence detach_() cannot be called on these gradients. To fix this error, please refer to the \
                     Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.",
                ));
            }
            s.t.set_meta(None);
        }
        Ok(slf)
    }
    /// `t.data`: the same memory, outside the graph.
    #[getter]
    fn data(&self) -> PyTensor {
        PyTensor::new(self.t.detach())
    }
    #[setter(data)]
    fn set_data(slf: &Bound<Self>, value: &Bound<PyAny>) -> PyResult<()> {
        // `p.data = p.to(device)` passes `p` itself when nothing moves: a no-op (borrowing
        // the same object mutably and shared at once would fail).
        if value.is(slf) {
            return Ok(());
        }
        let Ok(value) = value.downcast::<PyTensor>() else {
            return Err(PyTypeError::new_err(format!(
                "Variable data has to be a tensor, but got {}", value.get_type().name()?
            )));
        };
        let new = value.borrow().t.detach();
        let mut this = slf.borrow_mut();
        let meta = this.t.take_meta();
        this.t = new;
        this.t.set_meta(meta);
        Ok(())
    }
    #[pyo3(signature = (gradient=None, retain_graph=None, create_graph=false, inputs=None))]
    fn backward(
        &self,
        py: Python,
        gradient: Option<PyRef<PyTensor>>,
        retain_graph: Option<bool>,
        create_graph: bool,
        inputs: Option<&Bound<PyAny>>,
    ) -> PyResult<()> {
        warn_if_backward_creates_graph(py, create_graph)?;
        let inputs = inputs.map(tensors_of).transpose()?;
        if inputs.as_ref().is_some_and(|i| i.is_empty()) {
            return Err(PyRuntimeError::new_err("`inputs` argument to `backward()` cannot be empty."));
        }
        let opts = Options { retain_graph: retain_graph.unwrap_or(create_graph), create_graph };
        engine::run(&[self.t.clone()], vec![gradient.map(|g| g.t.clone())], opts, Deliver::Accumulate { inputs: inputs.as_deref() })?;
        Ok(())
    }
}

/// PyTorch warns once per process that `backward(create_graph=True)` makes each leaf's `.grad`
/// hold a graph that refers back to the leaf (`autograd.grad` does not).
fn warn_if_backward_creates_graph(py: Python, create_graph: bool) -> PyResult<()> {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !create_graph {
        return Ok(());
    }
    crate::python::warn::user_warning_once(
        py,
        &WARNED,
        "Using backward() with create_graph=True will create a reference cycle between the parameter and its \
         gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to avoid \
         this. If you have to use this function, make sure to reset the .grad fields of your parameters to None \
         after use to break the cycle and avoid the leak.",
    )
}

#[pyfunction]
#[pyo3(signature = (tensors, grad_tensors=None, retain_graph=None, create_graph=false, inputs=None))]
fn _run_backward(
    tensors: &Bound<PyAny>,
    grad_tensors: Option<&Bound<PyAny>>,
    retain_graph: Option<bool>,
    create_graph: bool,
    inputs: Option<&Bound<PyAny>>,
) -> PyResult<()> {
    warn_if_backward_creates_graph(tensors.py(), create_graph)?;
    let roots = tensors_of(tensors)?;
    let grads = optional_tensors(grad_tensors, roots.len())?;
    let inputs = inputs.filter(|i| !i.is_none()).map(tensors_of).transpose()?;
    let opts = Options { retain_graph: retain_graph.unwrap_or(create_graph), create_graph };
    engine::run(&roots, grads, opts, Deliver::Accumulate { inputs: inputs.as_deref() })?;
    Ok(())
}

#[pyfunction]
#[pyo3(signature = (outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=false, allow_unused=false))]
fn _run_grad(
    py: Python,
    outputs: &Bound<PyAny>,
    inputs: &Bound<PyAny>,
    grad_outputs: Option<&Bound<PyAny>>,
    retain_graph: Option<bool>,
    create_graph: bool,
    allow_unused: bool,
) -> PyResult<Vec<Option<Py<PyTensor>>>> {
    let roots = tensors_of(outputs)?;
    let grads = optional_tensors(grad_outputs, roots.len())?;
    let inputs = tensors_of(inputs)?;
    let opts = Options { retain_graph: retain_graph.unwrap_or(create_graph), create_graph };
    let r = engine::run(&roots, grads, opts, Deliver::Return { inputs: &inputs, allow_unused })?;
    r.into_iter().map(|g| g.map(|g| Py::new(py, PyTensor::new(g))).transpose()).collect()
}

#[pyfunction]
fn is_grad_enabled() -> bool {
    mode::is_grad_enabled()
}
#[pyfunction]
fn _set_grad_enabled(enabled: bool) -> bool {
    mode::set_grad_enabled(enabled)
}
/// Graph nodes alive in the process (tests check that graphs are freed).
#[pyfunction]
fn _live_graph_nodes() -> u64 {
    crate::autograd::node::live_nodes()
}
/// Sets anomaly mode; returns the previous (enabled, check_nan) for context managers to restore.
#[pyfunction]
fn _set_anomaly_mode(enabled: bool, check_nan: bool) -> (bool, bool) {
    anomaly::set(enabled, check_nan)
}
#[pyfunction]
fn _anomaly_mode() -> (bool, bool) {
    (anomaly::is_enabled(), anomaly::is_check_nan_enabled())
}

/// Anomaly mode's Python side: a node keeps `traceback.format_stack()` of its creation, and a
/// backward error is reported with it as a UserWarning, as PyTorch does.
fn install_anomaly_host() {
    fn capture() -> Option<String> {
        Python::with_gil(|py| {
            let frames: Vec<String> = py.import("traceback").ok()?.call_method0("format_stack").ok()?.extract().ok()?;
            Some(frames.concat())
        })
    }
    fn report(message: &str) {
        Python::with_gil(|py| {
            // A warning filter that turns warnings into errors must not hide the backward error.
            let _ = crate::python::warn::user_warning(py, message);
        })
    }
    anomaly::set_host(anomaly::Host { capture, report });
}

#[pyfunction]
fn is_inference_mode_enabled() -> bool {
    mode::is_inference_mode_enabled()
}
/// Returns the previous (inference, grad) modes, for the context manager to restore.
#[pyfunction]
fn _set_inference_mode(enabled: bool) -> (bool, bool) {
    mode::set_inference_mode(enabled)
}
#[pyfunction]
fn _restore_inference_mode(inference: bool, grad: bool) {
    mode::set_inference_mode(inference);
    mode::set_grad_enabled(grad);
}

/// A Python `(pack_hook, unpack_hook)` pair (`torch.autograd.graph.saved_tensors_hooks`).
struct PySavedTensorHooks {
    pack: PyObject,
    unpack: PyObject,
}

/// What `pack_hook` returned, with the `unpack_hook` that turns it back into a tensor.
struct PyPacked {
    value: PyObject,
    unpack: PyObject,
}

impl SavedTensorHooks for PySavedTensorHooks {
    fn pack(&self, t: &Tensor) -> crate::error::Result<Box<dyn PackedTensor>> {
        Python::with_gil(|py| {
            let value = self.pack.call1(py, (PyTensor::new(t.clone()),)).map_err(callback_error)?;
            Ok(Box::new(PyPacked { value, unpack: self.unpack.clone_ref(py) }) as Box<dyn PackedTensor>)
        })
    }
}

impl PackedTensor for PyPacked {
    fn unpack(&self) -> crate::error::Result<Tensor> {
        Python::with_gil(|py| {
            let r = self.unpack.call1(py, (self.value.clone_ref(py),)).map_err(callback_error)?;
            let r = r.bind(py);
            match r.downcast::<PyTensor>() {
                Ok(t) => Ok(t.borrow().t.clone()),
                Err(_) => Err(callback_error(PyTypeError::new_err(format!(
                    "Output of saved tensor unpack_hook expected to be a Tensor but got result of type {}",
                    r.get_type().name().map(|n| n.to_string()).unwrap_or_default()
                )))),
            }
        })
    }
}

/// Installs a pack/unpack pair for this thread (entering `saved_tensors_hooks`).
#[pyfunction]
fn _push_saved_tensors_hooks(pack_hook: PyObject, unpack_hook: PyObject) -> PyResult<()> {
    Ok(saved_hooks::push(Arc::new(PySavedTensorHooks { pack: pack_hook, unpack: unpack_hook }))?)
}
#[pyfunction]
fn _pop_saved_tensors_hooks() {
    saved_hooks::pop()
}
/// `disable_saved_tensors_hooks(message)`: sets (None clears) the error that installing hooks
/// raises; returns the previous message, for the context manager to restore.
#[pyfunction]
#[pyo3(signature = (message))]
fn _set_saved_tensors_hooks_disabled(message: Option<String>) -> PyResult<Option<String>> {
    Ok(saved_hooks::set_disabled(message)?)
}

/// Records a custom `autograd.Function` call. `inputs`: its tensor arguments; `outputs`:
/// the tensors `forward` returned (updated in place to carry the new node); `saved`: for
/// each tensor passed to `save_for_backward`, an output index or the tensor itself;
/// `backward(saved, grads)` returns one gradient (or None) per tensor input.
#[pyfunction]
#[pyo3(signature = (name, inputs, outputs, saved, backward, non_differentiable, materialize_grads))]
fn _record_function(
    name: String,
    inputs: Vec<PyRef<PyTensor>>,
    outputs: Vec<Bound<PyTensor>>,
    saved: Vec<Bound<PyAny>>,
    backward: PyObject,
    non_differentiable: Vec<usize>,
    materialize_grads: bool,
) -> PyResult<bool> {
    let ins: Vec<Tensor> = inputs.iter().map(|t| t.t.clone()).collect();
    let refs: Vec<&Tensor> = ins.iter().collect();
    let Some(mut rec) = autograd::begin(name, &refs) else { return Ok(false) };
    let saved_inputs: Vec<Tensor> = saved
        .iter()
        .filter_map(|s| s.downcast::<PyTensor>().ok().map(|t| t.borrow().t.clone()))
        .collect();
    let mut k = 0;
    for s in &saved {
        if let Ok(i) = s.extract::<usize>() {
            rec = rec.save(Save::Output(i));
        } else {
            rec = rec.save(Save::Input(&saved_inputs[k]));
            k += 1;
        }
    }
    let n_inputs = ins.len();
    let outs: Vec<Tensor> = outputs.iter().map(|o| o.borrow().t.detach()).collect();
    let results = rec.materialize_grads(materialize_grads).finish_many(outs, move |ctx| {
        Python::with_gil(|py| -> PyResult<Vec<Option<Tensor>>> {
            let saved: Vec<Py<PyTensor>> = ctx.saved.iter().map(|t| Py::new(py, PyTensor::new(t.clone()))).collect::<PyResult<_>>()?;
            let grads: Vec<PyObject> = ctx
                .grads
                .iter()
                .map(|g| match g {
                    Some(g) => Py::new(py, PyTensor::new(g.clone())).map(|p| p.into_any()),
                    None => Ok(py.None()),
                })
                .collect::<PyResult<_>>()?;
            let needs = PyTuple::new(py, &ctx.needs_input_grad)?;
            let r = backward.call1(py, (PyList::new(py, saved)?, PyTuple::new(py, grads)?, needs))?;
            let r = r.bind(py);
            let items: Vec<Bound<PyAny>> = r.try_iter()?.collect::<PyResult<_>>()?;
            if items.len() != n_inputs {
                return Err(PyRuntimeError::new_err(format!(
                    "function backward returned an incorrect number of gradients (expected {n_inputs}, got {})",
                    items.len()
                )));
            }
            items
                .iter()
                .map(|x| if x.is_none() { Ok(None) } else { Ok(Some(x.downcast::<PyTensor>()?.borrow().t.clone())) })
                .collect()
        })
        .map_err(callback_error)
    })?;
    for (i, (o, mut t)) in outputs.iter().zip(results).enumerate() {
        if non_differentiable.contains(&i) {
            t.set_meta(None);
        }
        o.borrow_mut().t = t;
    }
    Ok(true)
}

pub fn register(m: &Bound<PyModule>) -> PyResult<()> {
    m.add_class::<PyNode>()?;
    m.add_class::<PyHookHandle>()?;
    m.add_function(wrap_pyfunction!(_run_backward, m)?)?;
    m.add_function(wrap_pyfunction!(_run_grad, m)?)?;
    m.add_function(wrap_pyfunction!(is_grad_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(_set_grad_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(is_inference_mode_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(_live_graph_nodes, m)?)?;
    m.add_function(wrap_pyfunction!(_set_inference_mode, m)?)?;
    m.add_function(wrap_pyfunction!(_restore_inference_mode, m)?)?;
    m.add_function(wrap_pyfunction!(_record_function, m)?)?;
    m.add_function(wrap_pyfunction!(_set_anomaly_mode, m)?)?;
    m.add_function(wrap_pyfunction!(_anomaly_mode, m)?)?;
    m.add_function(wrap_pyfunction!(_push_saved_tensors_hooks, m)?)?;
    m.add_function(wrap_pyfunction!(_pop_saved_tensors_hooks, m)?)?;
    m.add_function(wrap_pyfunction!(_set_saved_tensors_hooks_disabled, m)?)?;
    install_anomaly_host();
    let _ = TensorMeta::of;
    Ok(())
}
