//! Graph nodes (`grad_fn`s), their edges and saved tensors.
//!
//! A node's backward is a closure over the node's saved tensors and whatever non-tensor state
//! the op needs (dims, shapes, index tensors). Formulas are written with tensor ops, so when the
//! engine runs them in grad mode (`create_graph=True`) they record a graph of their own.
use super::meta::{AutogradMeta, MetaState};
use super::saved_hooks::{self, PackedTensor};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use std::collections::HashSet;
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// A gradient hook: returns a replacement gradient, or None to keep it.
pub type Hook = Arc<dyn Fn(&Tensor) -> Result<Option<Tensor>> + Send + Sync>;
/// A hook run with a leaf after its `.grad` was accumulated (`register_post_accumulate_grad_hook`).
pub type PostAccumulateHook = Arc<dyn Fn(&Tensor) -> Result<()> + Send + Sync>;

/// What a node's backward receives.
pub struct Ctx {
    /// One gradient per output; None only for nodes that opted out of materialising zeros.
    pub grads: Vec<Option<Tensor>>,
    pub saved: Vec<Tensor>,
    /// Per input: whether anything upstream wants its gradient.
    pub needs_input_grad: Vec<bool>,
}

impl Ctx {
    /// The gradient of output `i` (zeros when that output got none).
    pub fn grad(&self, i: usize) -> &Tensor {
        self.grads[i].as_ref().expect("op nodes materialise missing gradients")
    }
    pub fn saved(&self, i: usize) -> &Tensor {
        &self.saved[i]
    }
    pub fn needs(&self, i: usize) -> bool {
        self.needs_input_grad[i]
    }
}

pub type BackwardFn = Box<dyn Fn(&Ctx) -> Result<Vec<Option<Tensor>>> + Send + Sync>;

#[derive(Clone)]
pub struct Edge {
    pub node: Arc<Node>,
    pub input_nr: usize,
}

/// Shape and dtype of a tensor a node consumes or produces: gradients are checked (and cast,
/// and reduced when broadcast) against it, and missing output gradients become zeros of it.
#[derive(Clone, Debug)]
pub struct TensorMeta {
    pub shape: Vec<usize>,
    pub dtype: DType,
    pub device: crate::storage::Device,
}

impl TensorMeta {
    pub fn of(t: &Tensor) -> TensorMeta {
        TensorMeta { shape: t.shape().to_vec(), dtype: t.dtype(), device: t.device() }
    }
}

/// How a saved tensor reconnects to the graph when unpacked.
#[derive(Clone)]
enum Origin {
    None,
    Leaf(Arc<AutogradMeta>),
    Node(Arc<Node>, usize),
    /// An output of the node that saved it. Holding the node here would be a cycle, so the
    /// node passes itself in at unpack time.
    OwnOutput(usize),
}

/// A saved tensor's value: kept as it was, or handed to the saved-tensor hooks installed when
/// it was saved (`saved_hooks.rs`).
#[derive(Clone)]
enum SavedData {
    /// Checked against `version` when unpacked: an in-place change since is an error.
    Plain { tensor: Tensor, version: u64 },
    /// What a pack hook returned. `meta`: what the unpacked tensor must be (the kernels reading
    /// it trust its shape and dtype). `source`, `layout`, `version`: the memory it was packed
    /// from, weakly, so that an in-place op about to overwrite that memory (its own target) can
    /// have a private copy packed instead (`Saved::repack_private`).
    Packed { packed: Arc<dyn PackedTensor>, meta: TensorMeta, source: std::sync::Weak<crate::storage::Storage>, layout: crate::layout::Layout, version: u64 },
}

impl SavedData {
    /// Stores `t`; when hooks are installed, `shown()` is what the pack hook gets (built only
    /// then: saving is on every recorded op's path).
    fn store(t: &Tensor, shown: impl FnOnce() -> Tensor) -> Result<SavedData> {
        let Some(hooks) = saved_hooks::current() else {
            return Ok(SavedData::Plain { tensor: t.detach(), version: t.storage().version() });
        };
        let version = t.storage().version();
        let packed = hooks.pack(&shown())?;
        if t.storage().version() != version {
            return Err(Error::Runtime(
                "A saved tensor pack hook is modifying its input in place. Tensors provided as input to pack hook \
                 cannot be modified by in-place operations as this can lead to unexpected side-effects. Please open an \
                 issue if you need to perform in-place operations on the input to a pack hook."
                    .into(),
            ));
        }
        Ok(SavedData::Packed {
            packed: packed.into(),
            meta: TensorMeta::of(t),
            source: Arc::downgrade(t.storage()),
            layout: t.layout().clone(),
            version,
        })
    }

    /// Whether writing into `target` now would change the values this entry holds.
    fn aliases(&self, target: &Tensor) -> bool {
        let now = target.storage().version();
        match self {
            SavedData::Plain { tensor, version } => tensor.same_storage(target) && *version == now,
            SavedData::Packed { source, version, .. } => {
                source.upgrade().is_some_and(|s| Arc::ptr_eq(&s, target.storage())) && *version == now
            }
        }
    }
}

#[derive(Clone)]
pub struct Saved {
    data: SavedData,
    origin: Origin,
    requires_grad: bool,
    /// The saved tensor's own autograd state, for naming its history as it is now (after an
    /// in-place op rewrote it) when the version check fails. Weak: a node that saved an input
    /// must not keep it alive (an in-place op on it may save it again: a cycle); once the
    /// tensor is gone, the error names the history it had when saved.
    meta: std::sync::Weak<AutogradMeta>,
}

impl Saved {
    pub fn input(t: &Tensor) -> Result<Saved> {
        let origin = match t.autograd.get() {
            None => Origin::None,
            Some(m) => {
                let s = m.lock();
                match &s.grad_fn {
                    Some(f) => Origin::Node(f.clone(), s.output_nr),
                    None if s.requires_grad => Origin::Leaf(m.clone()),
                    None => Origin::None,
                }
            }
        };
        let meta = t.autograd.get().map(Arc::downgrade).unwrap_or_default();
        let requires_grad = t.requires_grad();
        // A pack hook sees the history as of now, on a tensor of its own: a later in-place op
        // on `t` must not rewrite what the hook kept (that could make it point at this node).
        let data = SavedData::store(t, || origin.attach(t.detach(), requires_grad, None))?;
        Ok(Saved { data, origin, requires_grad, meta })
    }
    /// Output `nr` of the node being built. A pack hook sees it detached: with its history
    /// attached, a hook that keeps it would make the node own itself.
    fn output(t: &Tensor, nr: usize) -> Result<Saved> {
        Ok(Saved { data: SavedData::store(t, || t.detach())?, origin: Origin::OwnOutput(nr), requires_grad: true, meta: Default::default() })
    }

    /// PyTorch's error for a saved tensor that an in-place op changed after it was saved. Like
    /// PyTorch, it names the history the tensor has now, by its forward op (`Add` for
    /// `AddBackward0`, `Unsqueeze1` for `UnsqueezeBackward1`).
    fn modified_error(&self, t: &Tensor, owner: &Arc<Node>, saved_version: u64, now: u64) -> Error {
        let history = match &self.origin {
            Origin::Node(n, nr) => Some(match self.meta.upgrade().map(|m| {
                let s = m.lock();
                (s.grad_fn.clone(), s.output_nr)
            }) {
                Some((Some(current), current_nr)) => (current, current_nr),
                _ => (n.clone(), *nr),
            }),
            Origin::OwnOutput(nr) => Some((owner.clone(), *nr)),
            _ => None,
        };
        let which = match history {
            Some((node, nr)) => format!(", which is output {nr} of {},", forward_name(node.name())),
            None => String::new(),
        };
        let hint = if super::anomaly::is_enabled() {
            "the backtrace further above shows the operation that failed to compute its gradient. The variable in \
             question was changed in there or anywhere later. Good luck!"
        } else {
            "enable anomaly detection to find the operation that failed to compute its gradient, with \
             torch.autograd.set_detect_anomaly(True, check_nan=False)."
        };
        Error::Runtime(format!(
            "one of the variables needed for gradient computation has been modified by an inplace operation: \
             [torch.{} {:?}]{which} is at version {now}; expected version {saved_version} instead. Hint: {hint}",
            t.dtype().legacy_name(),
            t.shape(),
        ))
    }

    /// Before an in-place write into memory this entry was saved from: a private copy replaces
    /// it (a plain copy, or one packed again by the hooks, which then own a value that stays).
    fn keep_private(&mut self) -> Result<()> {
        match &mut self.data {
            SavedData::Plain { tensor, version } => {
                *tensor = tensor.deep_clone()?;
                *version = tensor.storage().version();
            }
            SavedData::Packed { source, layout, meta, .. } => {
                let Some(storage) = source.upgrade() else { return Ok(()) };
                let private = Tensor::from_parts(storage, layout.clone(), meta.dtype).deep_clone()?;
                let (origin, requires_grad) = (&self.origin, self.requires_grad);
                self.data = SavedData::store(&private, || origin.attach(private.detach(), requires_grad, None))?;
            }
        }
        Ok(())
    }

    fn unpack(&self, owner: &Arc<Node>) -> Result<Tensor> {
        let t = match &self.data {
            SavedData::Plain { tensor, version } => {
                let now = tensor.storage().version();
                if now != *version {
                    return Err(self.modified_error(tensor, owner, *version, now));
                }
                tensor.clone()
            }
            SavedData::Packed { packed, meta, .. } => {
                let t = packed.unpack()?;
                if t.shape() != meta.shape.as_slice() || t.dtype() != meta.dtype || t.device() != meta.device {
                    return Err(Error::Runtime(format!(
                        "unpack_hook returned a tensor of shape {:?}, dtype {} on {}, but the saved tensor had shape \
                         {:?}, dtype {} on {}",
                        t.shape(),
                        t.dtype().name(),
                        t.device().name(),
                        meta.shape,
                        meta.dtype.name(),
                        meta.device.name()
                    )));
                }
                t
            }
        };
        Ok(self.origin.attach(t, self.requires_grad, Some(owner)))
    }
}

impl Origin {
    /// `t` (whose own autograd state is ignored) with this history: the saved tensor as its
    /// backward sees it. `owner`: the node that saved it (None while that node is being built).
    fn attach(&self, mut t: Tensor, requires_grad: bool, owner: Option<&Arc<Node>>) -> Tensor {
        t.set_meta(match (self, owner) {
            (Origin::None, _) | (Origin::OwnOutput(_), None) => None,
            (Origin::Leaf(m), _) => Some(m.clone()),
            (Origin::Node(n, nr), _) => Some(AutogradMeta::new(MetaState {
                requires_grad,
                grad_fn: Some(n.clone()),
                output_nr: *nr,
                ..Default::default()
            })),
            (Origin::OwnOutput(nr), Some(owner)) => Some(AutogradMeta::new(MetaState {
                requires_grad: true,
                grad_fn: Some(owner.clone()),
                output_nr: *nr,
                ..Default::default()
            })),
        });
        t
    }
}

/// A node's name as PyTorch's saved-tensor error prints it: the forward op's name.
fn forward_name(node: &str) -> String {
    if node == "CopySlices" {
        return "torch::autograd::CopySlices".into();
    }
    node.strip_suffix("Backward0").map(str::to_string).unwrap_or_else(|| node.replacen("Backward", "", 1))
}

pub(crate) enum SavedState {
    Live(Vec<Saved>),
    Freed,
}

pub(crate) enum Kind {
    Op { backward: BackwardFn, saved: Mutex<SavedState> },
    /// The sink of a leaf: adds the incoming gradient to the leaf's `.grad`.
    /// `tensor` shares the leaf's storage, for `.variable`.
    AccumulateGrad { leaf: Arc<AutogradMeta>, tensor: Tensor },
}

pub struct Node {
    name: Cow<'static, str>,
    pub(crate) next: Vec<Option<Edge>>,
    /// Per input (parallel to `next`).
    pub(crate) input_meta: Vec<TensorMeta>,
    /// Per output.
    pub(crate) output_meta: Vec<TensorMeta>,
    pub(crate) kind: Kind,
    /// Tensor hooks of this node's outputs: (output_nr, id, hook).
    pub(crate) pre_hooks: Mutex<Vec<(usize, u64, Hook)>>,
    /// Outputs whose gradient is stored in their `.grad` (`retain_grad()`).
    pub(crate) retained: Mutex<Vec<(usize, std::sync::Weak<AutogradMeta>)>>,
    /// Creation order: the engine runs later nodes first among those that are ready.
    pub(crate) sequence_nr: u64,
    /// False for custom Functions that asked for None instead of zero gradients.
    pub(crate) materialize_grads: bool,
    /// The forward call's traceback, kept while anomaly mode is on (`anomaly.rs`).
    forward_trace: Option<String>,
    _live: LiveCount,
}

/// Counts the nodes alive in this process, so tests can check that graphs are freed.
static LIVE_NODES: AtomicU64 = AtomicU64::new(0);

struct LiveCount;

impl LiveCount {
    fn new() -> LiveCount {
        LIVE_NODES.fetch_add(1, Ordering::Relaxed);
        LiveCount
    }
}

impl Drop for LiveCount {
    fn drop(&mut self) {
        LIVE_NODES.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How many graph nodes exist right now (a leak check for tests and debugging).
pub fn live_nodes() -> u64 {
    LIVE_NODES.load(Ordering::Relaxed)
}

static NEXT_SEQUENCE: AtomicU64 = AtomicU64::new(0);
static NEXT_HOOK_ID: AtomicU64 = AtomicU64::new(0);

pub fn next_hook_id() -> u64 {
    NEXT_HOOK_ID.fetch_add(1, Ordering::Relaxed)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Node {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn next_edges(&self) -> &[Option<Edge>] {
        &self.next
    }
    pub fn forward_trace(&self) -> Option<&str> {
        self.forward_trace.as_deref()
    }
    pub fn is_accumulate_grad(&self) -> bool {
        matches!(self.kind, Kind::AccumulateGrad { .. })
    }
    /// The leaf an AccumulateGrad node feeds (`grad_fn.next_functions[i][0].variable`).
    pub fn variable(&self) -> Option<Tensor> {
        match &self.kind {
            Kind::AccumulateGrad { leaf, tensor } => {
                let mut t = tensor.clone();
                t.set_meta(Some(leaf.clone()));
                Some(t)
            }
            _ => None,
        }
    }
    pub(crate) fn accumulate_grad(leaf: Arc<AutogradMeta>, t: &Tensor) -> Arc<Node> {
        Arc::new(Node {
            name: Cow::Borrowed("torch::autograd::AccumulateGrad"),
            next: vec![],
            input_meta: vec![TensorMeta::of(t)],
            output_meta: vec![],
            kind: Kind::AccumulateGrad { leaf, tensor: t.detach() },
            pre_hooks: Mutex::new(vec![]),
            retained: Mutex::new(vec![]),
            sequence_nr: u64::MAX,
            materialize_grads: true,
            forward_trace: None,
            _live: LiveCount::new(),
        })
    }
    pub(crate) fn leaf(&self) -> Option<&Arc<AutogradMeta>> {
        match &self.kind {
            Kind::AccumulateGrad { leaf, .. } => Some(leaf),
            _ => None,
        }
    }

    /// A node built by hand (CopySlices, custom Functions) rather than by a `Recorder`.
    pub fn new_op(
        name: impl Into<Cow<'static, str>>,
        next: Vec<Option<Edge>>,
        input_meta: Vec<TensorMeta>,
        output_meta: Vec<TensorMeta>,
        backward: BackwardFn,
    ) -> Arc<Node> {
        Arc::new(Node {
            name: name.into(),
            next,
            input_meta,
            output_meta,
            kind: Kind::Op { backward, saved: Mutex::new(SavedState::Live(vec![])) },
            pre_hooks: Mutex::new(vec![]),
            retained: Mutex::new(vec![]),
            sequence_nr: NEXT_SEQUENCE.fetch_add(1, Ordering::Relaxed),
            materialize_grads: true,
            forward_trace: super::anomaly::forward_trace(),
            _live: LiveCount::new(),
        })
    }

    /// Before `target` is overwritten in place: saved tensors that share its memory get a
    /// private copy, so this node still sees the values it was recorded with.
    pub(crate) fn copy_saved_aliasing(&self, target: &Tensor) -> Result<()> {
        if let Kind::Op { saved, .. } = &self.kind {
            if let SavedState::Live(v) = &mut *lock(saved) {
                for s in v.iter_mut() {
                    if s.data.aliases(target) {
                        s.keep_private()?;
                    }
                }
            }
        }
        Ok(())
    }

    /// `copy_saved_aliasing` on this node and the nodes behind it created after `floor`: a
    /// complex op is several recorded real ops (`ops/complex/`), any of which may have saved a
    /// view of the target's memory.
    pub(crate) fn copy_saved_aliasing_since(self: &Arc<Node>, target: &Tensor, floor: u64) -> Result<()> {
        let mut stack = vec![self.clone()];
        let mut seen = HashSet::new();
        while let Some(n) = stack.pop() {
            if n.sequence_nr == u64::MAX || n.sequence_nr <= floor || !seen.insert(n.sequence_nr) {
                continue;
            }
            n.copy_saved_aliasing(target)?;
            stack.extend(n.next.iter().flatten().map(|e| e.node.clone()));
        }
        Ok(())
    }

    pub fn add_pre_hook(&self, output_nr: usize, hook: Hook) -> u64 {
        let id = next_hook_id();
        lock(&self.pre_hooks).push((output_nr, id, hook));
        id
    }
    pub fn remove_pre_hook(&self, id: u64) {
        lock(&self.pre_hooks).retain(|(_, i, _)| *i != id);
    }
    pub(crate) fn pre_hooks_for(&self, output_nr: usize) -> Vec<Hook> {
        lock(&self.pre_hooks).iter().filter(|(nr, _, _)| *nr == output_nr).map(|(_, _, h)| h.clone()).collect()
    }
    pub fn retain_output(&self, output_nr: usize, meta: &Arc<AutogradMeta>) {
        lock(&self.retained).push((output_nr, Arc::downgrade(meta)));
    }

    /// Runs the backward closure on `grads` (one per output).
    pub(crate) fn apply(self: &Arc<Node>, grads: Vec<Option<Tensor>>) -> Result<Vec<Option<Tensor>>> {
        let Kind::Op { backward, .. } = &self.kind else {
            unreachable!("AccumulateGrad nodes are handled by the engine");
        };
        let saved = self.saved_tensors()?;
        let needs_input_grad = self.next.iter().map(|e| e.is_some()).collect();
        backward(&Ctx { grads, saved, needs_input_grad })
    }

    /// Drops the saved tensors (after a backward without `retain_graph`). Nodes that saved
    /// nothing stay runnable, as in PyTorch.
    pub(crate) fn release_saved(&self) {
        if let Kind::Op { saved, .. } = &self.kind {
            let mut s = lock(saved);
            if matches!(&*s, SavedState::Live(v) if !v.is_empty()) {
                *s = SavedState::Freed;
            }
        }
    }
    /// The saved tensors, unpacked (`grad_fn._saved_...` style introspection and custom
    /// Functions' `ctx.saved_tensors`).
    pub fn saved_tensors(self: &Arc<Node>) -> Result<Vec<Tensor>> {
        let Kind::Op { saved, .. } = &self.kind else { return Ok(vec![]) };
        // Copied out before unpacking: an unpack hook runs user code, which must not find
        // this lock held (it may look at this node's saved tensors again).
        let live = match &*lock(saved) {
            SavedState::Live(v) => v.clone(),
            SavedState::Freed => {
                return Err(Error::Runtime(
                    "Trying to backward through the graph a second time (or directly access saved tensors after they \
                     have already been freed). Saved intermediate values of the graph are freed when you call \
                     .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the \
                     graph a second time or if you need to access saved tensors after calling backward."
                        .into(),
                ))
            }
        };
        live.iter().map(|s| s.unpack(self)).collect()
    }
}

impl Drop for Node {
    /// Long chains (an RNN unrolled 100k steps) would overflow the stack if dropped
    /// recursively; unlink them iteratively instead.
    fn drop(&mut self) {
        let mut stack: Vec<Arc<Node>> = self.next.drain(..).flatten().map(|e| e.node).collect();
        while let Some(n) = stack.pop() {
            if let Ok(mut node) = Arc::try_unwrap(n) {
                stack.extend(node.next.drain(..).flatten().map(|e| e.node));
            }
        }
    }
}

/// What an op saves for its backward.
pub enum Save<'a> {
    Input(&'a Tensor),
    /// The op's `i`-th output.
    Output(usize),
}

enum PendingSave {
    Ready(Saved),
    Output(usize),
}

/// Builder for one recorded op, created by [`begin`] only when recording is needed. While it
/// lives, grad mode is off, so the ops the forward uses internally record nothing.
pub struct Recorder {
    name: Cow<'static, str>,
    next: Vec<Option<Edge>>,
    input_meta: Vec<TensorMeta>,
    saved: Vec<PendingSave>,
    view_of: Option<Tensor>,
    materialize_grads: bool,
    /// The first error of a pack hook (`saved_hooks.rs`), returned by `finish`.
    pack_error: Option<Error>,
    _guard: super::mode::GradModeGuard,
}

/// Starts recording an op over `inputs` (its differentiable inputs, in the order its backward
/// returns gradients) when grad mode is on and any of them requires grad.
pub fn begin(name: impl Into<Cow<'static, str>>, inputs: &[&Tensor]) -> Option<Recorder> {
    if !super::mode::is_grad_enabled() || !inputs.iter().any(|t| t.requires_grad()) {
        return None;
    }
    Some(Recorder {
        name: name.into(),
        next: inputs.iter().map(|t| t.gradient_edge()).collect(),
        input_meta: inputs.iter().map(|t| TensorMeta::of(t)).collect(),
        saved: vec![],
        view_of: None,
        materialize_grads: true,
        pack_error: None,
        _guard: super::mode::no_grad(),
    })
}

impl Recorder {
    pub fn save(mut self, what: Save) -> Recorder {
        match what {
            Save::Input(_) if self.pack_error.is_some() => {}
            Save::Input(t) => match Saved::input(t) {
                Ok(s) => self.saved.push(PendingSave::Ready(s)),
                Err(e) => self.pack_error = Some(e),
            },
            // Filled in by `finish`, once the outputs exist; the slot keeps its place.
            Save::Output(i) => self.saved.push(PendingSave::Output(i)),
        }
        self
    }
    pub fn save_input(self, t: &Tensor) -> Recorder {
        self.save(Save::Input(t))
    }
    pub fn save_output(self, i: usize) -> Recorder {
        self.save(Save::Output(i))
    }
    /// Marks the outputs as views of `input` (for in-place ops on them later).
    pub fn view_of(mut self, input: &Tensor) -> Recorder {
        self.view_of = Some(input.view_base().unwrap_or_else(|| input.clone()));
        self
    }
    pub fn materialize_grads(mut self, on: bool) -> Recorder {
        self.materialize_grads = on;
        self
    }

    /// Creates the node and attaches it to the floating-point outputs (integer outputs, such
    /// as indices, never require grad). Fails only when a saved-tensor pack hook failed.
    pub fn finish_many(
        mut self,
        mut outputs: Vec<Tensor>,
        backward: impl Fn(&Ctx) -> Result<Vec<Option<Tensor>>> + Send + Sync + 'static,
    ) -> Result<Vec<Tensor>> {
        if let Some(e) = self.pack_error.take() {
            return Err(e);
        }
        let saved: Vec<Saved> = std::mem::take(&mut self.saved)
            .into_iter()
            .map(|p| match p {
                PendingSave::Ready(s) => Ok(s),
                PendingSave::Output(i) => Saved::output(&outputs[i], i),
            })
            .collect::<Result<_>>()?;
        let node = Arc::new(Node {
            name: std::mem::take(&mut self.name),
            next: std::mem::take(&mut self.next),
            input_meta: std::mem::take(&mut self.input_meta),
            output_meta: outputs.iter().map(TensorMeta::of).collect(),
            kind: Kind::Op { backward: Box::new(backward), saved: Mutex::new(SavedState::Live(saved)) },
            pre_hooks: Mutex::new(vec![]),
            retained: Mutex::new(vec![]),
            sequence_nr: NEXT_SEQUENCE.fetch_add(1, Ordering::Relaxed),
            materialize_grads: self.materialize_grads,
            forward_trace: super::anomaly::forward_trace(),
            _live: LiveCount::new(),
        });
        for (i, out) in outputs.iter_mut().enumerate() {
            if out.dtype().is_differentiable() {
                out.set_meta(Some(AutogradMeta::new(MetaState {
                    requires_grad: true,
                    grad_fn: Some(node.clone()),
                    output_nr: i,
                    view_base: self.view_of.clone(),
                    ..Default::default()
                })));
            } else {
                out.set_meta(None);
            }
        }
        Ok(outputs)
    }

    pub fn finish(
        self,
        output: Tensor,
        backward: impl Fn(&Ctx) -> Result<Vec<Option<Tensor>>> + Send + Sync + 'static,
    ) -> Result<Tensor> {
        Ok(self.finish_many(vec![output], backward)?.pop().expect("one output"))
    }
}

/// Records `name` over `inputs` when needed; the common one-output case in one call.
/// `forward` runs with grad mode off when recording, so nested ops stay off the tape.
pub fn unary_record(
    name: &'static str,
    inputs: &[&Tensor],
    forward: impl FnOnce() -> Result<Tensor>,
    saves: impl FnOnce(Recorder) -> Recorder,
    backward: impl Fn(&Ctx) -> Result<Vec<Option<Tensor>>> + Send + Sync + 'static,
) -> Result<Tensor> {
    match begin(name, inputs) {
        None => forward(),
        Some(rec) => {
            let out = forward()?;
            saves(rec).finish(out, backward)
        }
    }
}
