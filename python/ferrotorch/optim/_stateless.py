"""`optim.swap_in_optimizer_params_and_state`: run optimizer calls on substitute params and state.

Inside the context manager the optimizer's param groups point at the supplied tensors, carry the
supplied hyper-parameters, and its `state` is rebuilt from a `state_dict()`-shaped dict (keyed by packed
integer ids); on exit the live groups and state are put back. In-place updates made by `step()` land in
the supplied tensors, which is what makes the API useful (e.g. stepping a copy of the model).
"""
import contextlib
from collections import defaultdict

from .._C import Tensor

__all__ = ["swap_in_optimizer_params_and_state"]

_NAME = "swap_in_optimizer_params_and_state"


def _check_state(state):
    if not isinstance(state, dict):
        raise RuntimeError(f"{_NAME} requires swapin_optim_state['state'] to be a dict mapping packed parameter "
                           f"ids to per-param state dicts, got {type(state).__name__}.")
    if any(isinstance(k, Tensor) for k in state):
        raise RuntimeError(f"{_NAME} requires optimizer.state_dict()-style state keyed by packed parameter ids.")
    if any(isinstance(k, int) and not isinstance(v, dict) for k, v in state.items()):
        raise RuntimeError(f"{_NAME} requires per-parameter optimizer state entries to be dictionaries.")
    return state


def _check_groups(optimizer, param_groups):
    if not isinstance(param_groups, list):
        raise RuntimeError(f"{_NAME} requires swapin_optim_state['param_groups'] to be a list of param-group "
                           f"dicts, got {type(param_groups).__name__}.")
    if len(optimizer.param_groups) != len(param_groups):
        raise RuntimeError("swapin_optim_state has a different number of parameter groups than the live optimizer.")
    return param_groups


def _check_group(idx, group, swapin_group):
    """The packed ids of one swap-in group, after checking it mirrors the live group."""
    if not isinstance(swapin_group, dict):
        raise RuntimeError(f"{_NAME} requires each optimizer param group to be a dictionary.")
    ids = swapin_group.get("params")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise RuntimeError(f"{_NAME} requires optimizer.state_dict()-style param_groups[*]['params'] entries "
                           "keyed by packed parameter ids.")
    if len(group["params"]) != len(ids):
        raise RuntimeError(f"swapin_optim_state param group {idx} has a different number of params than the "
                           "live optimizer param group.")
    swapin_only = [k for k in swapin_group if k not in group]
    live_only = [k for k in group if k not in swapin_group]
    if swapin_only or live_only:
        raise RuntimeError(f"{_NAME} requires optimizer.state_dict()-style param group keys to exactly match the "
                           f"live optimizer group keys for group {idx}. Keys only in swap-in: {swapin_only}. "
                           f"Keys only in live: {live_only}.")
    return ids


def _prepare(optimizer, swapin_parameters, swapin_optim_state):
    """Validate the inputs; returns (state by packed id, [(live group, swap-in group, its tensors)])."""
    if not optimizer.state:
        raise RuntimeError(f"{_NAME} requires initialized optimizer state.")
    if not isinstance(swapin_optim_state, dict):
        raise RuntimeError(f"{_NAME} requires a DCP-style optimizer state_dict.")
    state = _check_state(swapin_optim_state.get("state"))
    groups = _check_groups(optimizer, swapin_optim_state.get("param_groups"))
    # Tensors are matched to the groups by order: the first len(group 0) go to group 0, and so on.
    flat = list(swapin_parameters.values())
    offset, seen, plan = 0, set(), []
    for idx, (group, swapin_group) in enumerate(zip(optimizer.param_groups, groups)):
        ids = _check_group(idx, group, swapin_group)
        seen.update(ids)
        if offset + len(ids) > len(flat):
            raise RuntimeError(f"{_NAME} requires the explicit parameter state to match optimizer.param_groups "
                               "ordering.")
        plan.append((group, swapin_group, flat[offset:offset + len(ids)]))
        offset += len(ids)
    extra = [k for k in state if k not in seen]
    if extra:
        raise RuntimeError(f"{_NAME} requires swapin_optim_state['state'] to be keyed only by packed parameter "
                           f"ids from param_groups[*]['params']; got extra keys {extra!r}.")
    return state, plan


@contextlib.contextmanager
def swap_in_optimizer_params_and_state(optimizer, swapin_parameters, swapin_optim_state):
    """Temporarily make `optimizer` act on `swapin_parameters` (a dict, in the optimizer's parameter
    order) with the state and group hyper-parameters of `swapin_optim_state` (an
    `optimizer.state_dict()`-shaped dict); everything is restored on exit.

    Per-parameter state dicts are shallow-copied: in-place tensor updates reach the supplied state
    dict, re-assignments inside the context do not. The optimizer must already have state.

        >>> import ferrotorch as torch
        >>> w = torch.nn.Parameter(torch.ones(2)); opt = torch.optim.SGD([w], lr=1.0, momentum=0.9)
        >>> w.grad = torch.ones(2); _ = opt.step()
        >>> w2 = torch.nn.Parameter(torch.zeros(2)); w2.grad = torch.ones(2)
        >>> sd = {"state": {0: {"momentum_buffer": torch.zeros(2)}}, "param_groups": opt.state_dict()["param_groups"]}
        >>> with torch.optim.swap_in_optimizer_params_and_state(opt, {"w": w2}, sd):
        ...     _ = opt.step()
        >>> w2.tolist(), w.tolist()
        ([-1.0, -1.0], [0.0, 0.0])
    """
    state, plan = _prepare(optimizer, swapin_parameters, swapin_optim_state)
    original_state = optimizer.state
    # Shallow copies keep the identity of the original "params" lists for the restore.
    snapshots = [dict(g) for g in optimizer.param_groups]
    try:
        new_state = defaultdict(dict)
        for group, swapin_group, tensors in plan:
            group["params"] = tensors
            for key, value in swapin_group.items():
                if key != "params":
                    group[key] = value
            for tensor, pid in zip(tensors, swapin_group["params"]):
                new_state[tensor] = dict(state.get(pid, {}))
        optimizer.state = new_state
        yield
    finally:
        for group, snapshot in zip(optimizer.param_groups, snapshots):
            group.clear()
            group.update(snapshot)
        optimizer.state = original_state
