//! The backward pass: finds the graph reachable from the roots, runs each node once all of
//! its gradients have arrived (latest-created first among the ready ones), and delivers the
//! results to leaves' `.grad` (`backward`) or back to the caller (`grad`).
use super::meta::AutogradMeta;
use super::mode::GradModeGuard;
use super::node::{Edge, Node, TensorMeta};
use crate::error::{Error, Result};
use crate::shape::broadcast_shapes;
use crate::tensor::Tensor;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::Arc;

type NodeId = usize;

fn id(n: &Arc<Node>) -> NodeId {
    Arc::as_ptr(n) as NodeId
}

fn size_str(shape: &[usize]) -> String {
    format!("torch.Size({})", crate::shape::fmt_list(shape))
}

/// Where to deliver the gradients a backward pass computes.
pub enum Deliver<'a> {
    /// `Tensor.backward()` / `autograd.backward()`: accumulate into the `.grad` of every leaf
    /// reached, or only of `inputs` when given (leaf or not).
    Accumulate { inputs: Option<&'a [Tensor]> },
    /// `autograd.grad()`: return the gradients of `inputs`; no `.grad` is touched.
    Return { inputs: &'a [Tensor], allow_unused: bool },
}

pub struct Options {
    pub retain_graph: bool,
    pub create_graph: bool,
}

/// Checks each root and builds its seed gradient (ones for scalars when none is given).
fn seeds(roots: &[Tensor], grads: Vec<Option<Tensor>>) -> Result<Vec<(Edge, Tensor)>> {
    let mut out = Vec::with_capacity(roots.len());
    for (i, (root, g)) in roots.iter().zip(grads).enumerate() {
        let Some(edge) = root.gradient_edge() else {
            return Err(Error::Runtime(format!("element {i} of tensors does not require grad and does not have a grad_fn")));
        };
        let g = match g {
            Some(g) => {
                if g.shape() != root.shape() {
                    return Err(Error::Runtime(format!(
                        "Mismatch in shape: grad_output[{i}] has a shape of {} and output[{i}] has a shape of {}.",
                        size_str(g.shape()),
                        size_str(root.shape())
                    )));
                }
                if g.dtype().is_complex() != root.dtype().is_complex() {
                    return Err(Error::Runtime(format!(
                        "For complex Tensors, both grad_output and output are required to have the same dtype. \
                         Mismatch in dtype: grad_output[{i}] has a dtype of torch.{} and output[{i}] has a dtype of torch.{}.",
                        g.dtype().name(),
                        root.dtype().name()
                    )));
                }
                // as in PyTorch, a gradient of another (real or complex) dtype is cast to the
                // output's, so every backward formula sees its output's dtype
                if g.dtype() == root.dtype() { g } else { g.to_dtype(root.dtype())? }
            }
            None => {
                if root.numel() != 1 {
                    return Err(Error::Runtime("grad can be implicitly created only for scalar outputs".into()));
                }
                if root.dtype().is_complex() {
                    return Err(Error::Runtime("grad can be implicitly created only for real scalar outputs".into()));
                }
                Tensor::full_on(root.shape(), crate::dtype::Scalar::Float(1.0), root.dtype(), root.device())?
            }
        };
        out.push((edge, g));
    }
    Ok(out)
}

/// Every node reachable from the roots, with the number of edges that reach it.
fn dependencies(roots: &[Arc<Node>]) -> (HashMap<NodeId, usize>, Vec<Arc<Node>>) {
    let mut deps: HashMap<NodeId, usize> = HashMap::new();
    let mut seen: HashSet<NodeId> = HashSet::new();
    let mut order = vec![];
    let mut stack: Vec<Arc<Node>> = roots.to_vec();
    while let Some(n) = stack.pop() {
        if !seen.insert(id(&n)) {
            continue;
        }
        for e in n.next.iter().flatten() {
            *deps.entry(id(&e.node)).or_insert(0) += 1;
            stack.push(e.node.clone());
        }
        order.push(n);
    }
    (deps, order)
}

/// Nodes from which some capture point can be reached: only they need to run when the caller
/// asked for specific inputs.
fn needed_nodes(all: &[Arc<Node>], captures: &HashSet<NodeId>) -> HashSet<NodeId> {
    // Repeat until stable; graphs are DAGs, so a pass in reverse discovery order usually settles it.
    let mut needed: HashSet<NodeId> = captures.clone();
    loop {
        let before = needed.len();
        for n in all.iter().rev() {
            if !needed.contains(&id(n)) && n.next.iter().flatten().any(|e| needed.contains(&id(&e.node))) {
                needed.insert(id(n));
            }
        }
        if needed.len() == before {
            return needed;
        }
    }
}

/// Makes a gradient fit the input it is for: the same dtype, and broadcasting undone by
/// summing (the one place where that happens). Any other shape is the formula's bug.
fn fit_gradient(node: &Node, i: usize, g: Tensor, meta: &TensorMeta) -> Result<Tensor> {
    let g = if g.shape() == meta.shape.as_slice() {
        g
    } else if broadcast_shapes(&meta.shape, g.shape()).map(|s| s == g.shape()).unwrap_or(false) {
        g.sum_to_shape(&meta.shape)?
    } else {
        return Err(Error::Runtime(format!(
            "Function {} returned an invalid gradient at index {i} - got {} but expected shape compatible with {}",
            node.name(),
            crate::shape::fmt_list(g.shape()),
            crate::shape::fmt_list(&meta.shape)
        )));
    };
    g.to_dtype(meta.dtype)
}

fn accumulate(slot: &mut Option<Tensor>, g: Tensor) -> Result<()> {
    *slot = Some(match slot.take() {
        None => g,
        Some(prev) => prev.add(&g)?,
    });
    Ok(())
}

/// Adds `g` into a tensor's `.grad`: in place when not building a graph (so a `.grad` a user
/// holds sees the sum, as in PyTorch), out of place when the gradient itself has history.
pub fn accumulate_into_grad(meta: &Arc<AutogradMeta>, g: Tensor, create_graph: bool) -> Result<()> {
    let mut s = meta.lock();
    match s.grad.take() {
        None => {
            // The engine hands one tensor to several edges; never alias a `.grad`.
            let owned = create_graph || (g.is_contiguous() && Arc::strong_count(g.storage()) == 1);
            s.grad = Some(if owned { g } else { g.detach().deep_clone()? });
        }
        Some(prev) => {
            if create_graph || prev.requires_grad() {
                s.grad = Some(prev.add(&g)?);
            } else {
                let _off = super::mode::no_grad();
                prev.copy_(&prev.add(&g)?)?;
                s.grad = Some(prev);
            }
        }
    }
    Ok(())
}

fn run_hooks(hooks: Vec<super::node::Hook>, mut g: Tensor) -> Result<Tensor> {
    for h in hooks {
        if let Some(new) = h(&g)? {
            if new.shape() != g.shape() {
                return Err(Error::Runtime(format!(
                    "hook 'hook' has changed the size of value: expected {} but got {}",
                    size_str(g.shape()),
                    size_str(new.shape())
                )));
            }
            g = new;
        }
    }
    Ok(g)
}

struct Ready(u64, Arc<Node>);
impl PartialEq for Ready {
    fn eq(&self, o: &Self) -> bool {
        self.0 == o.0
    }
}
impl Eq for Ready {}
impl PartialOrd for Ready {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ready {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.cmp(&o.0)
    }
}

/// Runs a backward pass. Returns, for `Deliver::Return`, one gradient per input.
pub fn run(roots: &[Tensor], grads: Vec<Option<Tensor>>, opts: Options, deliver: Deliver) -> Result<Vec<Option<Tensor>>> {
    let seeds = seeds(roots, grads)?;
    let root_nodes: Vec<Arc<Node>> = seeds.iter().map(|(e, _)| e.node.clone()).collect();
    let (mut deps, all) = dependencies(&root_nodes);

    // Capture points: (node, slot) -> index into `inputs`.
    let inputs: &[Tensor] = match &deliver {
        Deliver::Accumulate { inputs: Some(i) } => i,
        Deliver::Return { inputs, .. } => inputs,
        Deliver::Accumulate { inputs: None } => &[],
    };
    let mut captures: HashMap<(NodeId, usize), Vec<usize>> = HashMap::new();
    let mut capture_nodes = HashSet::new();
    // A leaf's accumulator may be created right here; keep it alive so its id stays unique.
    let mut keep_alive = vec![];
    for (k, t) in inputs.iter().enumerate() {
        let Some(e) = t.gradient_edge() else {
            return Err(Error::Runtime("One of the differentiated Tensors does not require grad".into()));
        };
        capture_nodes.insert(id(&e.node));
        captures.entry((id(&e.node), e.input_nr)).or_default().push(k);
        keep_alive.push(e.node);
    }
    let selective = !inputs.is_empty();
    let needed = if selective { needed_nodes(&all, &capture_nodes) } else { HashSet::new() };
    let mut captured: Vec<Option<Tensor>> = vec![None; inputs.len()];

    let mut buffers: HashMap<NodeId, Vec<Option<Tensor>>> = HashMap::new();
    for (edge, g) in seeds {
        let n = edge.node.output_meta.len().max(1);
        let buf = buffers.entry(id(&edge.node)).or_insert_with(|| vec![None; n]);
        let g = if edge.node.is_accumulate_grad() { fit_gradient(&edge.node, 0, g, &edge.node.input_meta[0])? } else { g };
        accumulate(&mut buf[edge.input_nr], g)?;
    }
    let mut ready = BinaryHeap::new();
    let mut queued = HashSet::new();
    for n in &root_nodes {
        if deps.get(&id(n)).copied().unwrap_or(0) == 0 && queued.insert(id(n)) {
            ready.push(Ready(n.sequence_nr, n.clone()));
        }
    }

    let _mode = GradModeGuard::new(opts.create_graph);
    while let Some(Ready(_, node)) = ready.pop() {
        let nid = id(&node);
        let mut grads = buffers.remove(&nid).unwrap_or_else(|| vec![None; node.output_meta.len().max(1)]);

        // Tensor hooks, then retain_grad, then captures: in that order, as in PyTorch.
        for (slot, g) in grads.iter_mut().enumerate() {
            if let Some(v) = g.take() {
                let mut hooks = node.pre_hooks_for(slot);
                if let Some(leaf) = node.leaf() {
                    hooks.extend(leaf.lock().hooks.iter().map(|(_, h)| h.clone()));
                }
                *g = Some(run_hooks(hooks, v)?);
            }
        }
        for (slot, weak) in node.retained.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            if let (Some(g), Some(meta)) = (&grads[*slot], weak.upgrade()) {
                accumulate_into_grad(&meta, g.detach(), false)?;
            }
        }
        for (slot, g) in grads.iter().enumerate() {
            if let (Some(ks), Some(g)) = (captures.get(&(nid, slot)), g) {
                for &k in ks {
                    accumulate(&mut captured[k], g.clone())?;
                }
            }
        }

        let run_node = !selective || needed.contains(&nid);
        let outputs = if let Some(leaf) = node.leaf() {
            if !selective {
                if let Some(g) = grads.pop().flatten() {
                    accumulate_into_grad(leaf, g, opts.create_graph)?;
                    // Cloned out first: a hook may touch the leaf's state (e.g. set `.grad = None`).
                    let post: Vec<_> = leaf.lock().post_accumulate_hooks.iter().map(|(_, h)| h.clone()).collect();
                    if let (false, Some(variable)) = (post.is_empty(), node.variable()) {
                        for hook in post {
                            hook(&variable)?;
                        }
                    }
                }
            }
            vec![]
        } else if run_node && grads.iter().any(|g| g.is_some()) {
            if node.materialize_grads {
                for (g, m) in grads.iter_mut().zip(&node.output_meta) {
                    if g.is_none() {
                        *g = Some(Tensor::zeros_on(&m.shape, m.dtype, m.device)?);
                    }
                }
            }
            let out = match node.apply(grads).and_then(|out| super::anomaly::check_nan(&node, &out).map(|_| out)) {
                Ok(out) => out,
                Err(e) => {
                    super::anomaly::report_error(&node);
                    return Err(e);
                }
            };
            if out.len() != node.next.len() {
                return Err(Error::Runtime(format!(
                    "function {} returned an incorrect number of gradients (expected {}, got {})",
                    node.name(),
                    node.next.len(),
                    out.len()
                )));
            }
            out
        } else {
            vec![None; node.next.len()]
        };
        if !opts.retain_graph {
            node.release_saved();
        }

        for (i, (edge, g)) in node.next.iter().zip(outputs).enumerate() {
            let Some(edge) = edge else { continue };
            let eid = id(&edge.node);
            if let Some(g) = g {
                if !selective || needed.contains(&eid) {
                    let g = fit_gradient(&node, i, g, &node.input_meta[i])?;
                    let n = edge.node.output_meta.len().max(1);
                    let buf = buffers.entry(eid).or_insert_with(|| vec![None; n]);
                    accumulate(&mut buf[edge.input_nr], g)?;
                }
            }
            let d = deps.get_mut(&eid).expect("every reachable node has a dependency count");
            *d -= 1;
            if *d == 0 && queued.insert(eid) {
                ready.push(Ready(edge.node.sequence_nr, edge.node.clone()));
            }
        }
    }

    match deliver {
        Deliver::Accumulate { inputs: None } => Ok(vec![]),
        Deliver::Accumulate { inputs: Some(inputs) } => {
            for (t, g) in inputs.iter().zip(captured) {
                if let (Some(g), Some(meta)) = (g, t.autograd.get()) {
                    accumulate_into_grad(meta, g, opts.create_graph)?;
                }
            }
            Ok(vec![])
        }
        Deliver::Return { allow_unused, .. } => {
            if !allow_unused && captured.iter().any(|g| g.is_none()) {
                return Err(Error::Runtime(
                    "One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior."
                        .into(),
                ));
            }
            Ok(captured)
        }
    }
}
