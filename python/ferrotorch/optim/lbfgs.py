"""`optim.LBFGS`: limited-memory BFGS over all parameters as one flat vector, optional strong-Wolfe
line search; PyTorch's defaults, stopping rules and state."""
from .. import _C
from ..autograd.grad_mode import enable_grad, no_grad
from ._line_search import strong_wolfe
from .optimizer import Optimizer, _as_real, _check_lr, _to_scalar

__all__ = ["LBFGS"]


class LBFGS(Optimizer):
    """L-BFGS: each `step(closure)` runs up to `max_iter` iterations (and `max_eval` closure calls).

    Directions come from the two-loop recursion over the last `history_size` (s, y) pairs; the step is
    `lr` (the first ever: min(1, 1/|g|_1) * lr), or found by `line_search_fn="strong_wolfe"`.
    Only one param group is supported. State (on the first parameter): "func_evals", "n_iter", "d",
    "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss".

        >>> import ferrotorch as torch
        >>> x = torch.nn.Parameter(torch.tensor([3.0, -2.0], dtype=torch.float64))
        >>> opt = torch.optim.LBFGS([x], line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = ((x - torch.tensor([1.0, 2.0], dtype=torch.float64)) ** 2).sum()
        ...     loss.backward()
        ...     return loss
        >>> _ = opt.step(closure); [round(v, 6) for v in x.tolist()]
        [1.0, 2.0]
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None, *, maximize=False):
        _check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size, line_search_fn=line_search_fn,
                        maximize=maximize)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _gather_flat_grad(self):
        # A complex parameter counts as its real and imaginary parts (as in PyTorch): the flat
        # vectors are real, so the curvature pairs' dot products are real.
        flat = _C.cat([_C.zeros(_as_real(p)[0].numel(), dtype=_as_real(p)[0].dtype, device=p.device)
                       if p.grad is None else _as_real(p.grad)[0].reshape(-1) for p in self._params])
        # maximize=True minimises -f: its gradient is -grad (and the losses are negated in step).
        return flat.neg_() if self.param_groups[0].get("maximize", False) else flat

    def _add_grad(self, step_size, update):
        offset = 0
        for p in self._params:
            (p,) = _as_real(p)
            n = p.numel()
            p.add_(update[offset:offset + n].view_as(p), alpha=step_size)
            offset += n

    def _directional_evaluate(self, closure, x, t, d):
        self._add_grad(t, d)
        loss = float(closure())
        if self.param_groups[0].get("maximize", False):
            loss = -loss
        flat_grad = self._gather_flat_grad()
        for p, saved in zip(self._params, x):
            p.copy_(saved)
        return loss, flat_grad

    def step(self, closure):
        """Run up to `max_iter` L-BFGS iterations; `closure` (required) re-evaluates the loss and its
        gradients. Returns the loss from the first closure call."""
        group = self.param_groups[0]
        lr = _to_scalar(group["lr"])
        max_iter, max_eval, history_size = group["max_iter"], group["max_eval"], group["history_size"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn = group["line_search_fn"]
        sign = -1.0 if group.get("maximize", False) else 1.0

        def evaluate():
            with enable_grad():
                return closure()

        with no_grad():
            # The state is global; it lives on the first parameter so load_state_dict can cast it.
            state = self.state[self._params[0]]
            state.setdefault("func_evals", 0)
            state.setdefault("n_iter", 0)
            orig_loss = evaluate()
            loss = sign * float(orig_loss)
            current_evals = 1
            state["func_evals"] += 1
            flat_grad = self._gather_flat_grad()
            if flat_grad.abs().max().item() <= tolerance_grad:
                return orig_loss

            d, t = state.get("d"), state.get("t")
            old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
            H_diag, prev_flat_grad, prev_loss = state.get("H_diag"), state.get("prev_flat_grad"), state.get("prev_loss")
            # A state loaded from a PyTorch checkpoint holds these as 0-d tensors; the loop uses numbers.
            if ro is not None:
                ro = [_to_scalar(r) for r in ro]
            H_diag = _to_scalar(H_diag)

            n_iter = 0
            while n_iter < max_iter:
                n_iter += 1
                state["n_iter"] += 1
                if state["n_iter"] == 1:
                    d = flat_grad.neg()
                    old_dirs, old_stps, ro, H_diag = [], [], [], 1
                else:
                    y = flat_grad - prev_flat_grad
                    s = d * t
                    ys = y.dot(s).item()
                    if ys > 1e-10:  # keep the pair only if it preserves positive definiteness
                        if len(old_dirs) == history_size:
                            old_dirs.pop(0)
                            old_stps.pop(0)
                            ro.pop(0)
                        old_dirs.append(y)
                        old_stps.append(s)
                        ro.append(1.0 / ys)
                        H_diag = ys / y.dot(y).item()
                    # Two-loop recursion: d = -H g with H the L-BFGS inverse-Hessian approximation.
                    # Kept in the state (padded to history_size) as PyTorch does, so state_dict keys match.
                    al = state.setdefault("al", [None] * history_size)
                    q = flat_grad.neg()
                    for i in range(len(old_dirs) - 1, -1, -1):
                        al[i] = old_stps[i].dot(q).item() * ro[i]
                        q.add_(old_dirs[i], alpha=-al[i])
                    d = r = q * H_diag
                    for i in range(len(old_dirs)):
                        be_i = old_dirs[i].dot(r).item() * ro[i]
                        r.add_(old_stps[i], alpha=al[i] - be_i)

                prev_flat_grad = flat_grad.clone()
                prev_loss = loss
                t = min(1.0, 1.0 / flat_grad.abs().sum().item()) * lr if state["n_iter"] == 1 else lr
                gtd = flat_grad.dot(d).item()
                if gtd > -tolerance_change:  # not a descent direction any more
                    break

                ls_func_evals = 0
                if line_search_fn is not None:
                    if line_search_fn != "strong_wolfe":
                        raise RuntimeError("only 'strong_wolfe' is supported")
                    x_init = [p.clone() for p in self._params]

                    def obj_func(x, step, direction):
                        return self._directional_evaluate(evaluate, x, step, direction)

                    loss, flat_grad, t, ls_func_evals = strong_wolfe(obj_func, x_init, t, d, loss, flat_grad, gtd)
                    self._add_grad(t, d)
                    opt_cond = flat_grad.abs().max().item() <= tolerance_grad
                else:
                    self._add_grad(t, d)
                    opt_cond = False
                    if n_iter != max_iter:
                        # Re-evaluate except after the last iteration (its result would go unused).
                        loss = sign * float(evaluate())
                        flat_grad = self._gather_flat_grad()
                        opt_cond = flat_grad.abs().max().item() <= tolerance_grad
                        ls_func_evals = 1
                current_evals += ls_func_evals
                state["func_evals"] += ls_func_evals

                if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                    break
                if (d * t).abs().max().item() <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                    break  # no progress

            state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                         prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss
