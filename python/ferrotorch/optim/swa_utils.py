"""`optim.swa_utils`: stochastic weight averaging (SWA) and exponential moving averages (EMA).

`AveragedModel` keeps a copy of a model whose parameters (and optionally buffers) are the running
average of the model's over the `update_parameters` calls: the equal-weight mean by default
(SWA), or any rule given as `avg_fn(averaged, current, n)` / `multi_avg_fn(list, list, n)`, e.g.
`get_ema_multi_avg_fn(0.999)`. `update_bn` recomputes BatchNorm statistics for the averaged
weights with one pass over the data; `SWALR` anneals each group's lr to a constant SWA lr.

    >>> import ferrotorch as torch
    >>> from ferrotorch.optim.swa_utils import AveragedModel
    >>> model = torch.nn.Linear(1, 1, bias=False)
    >>> swa = AveragedModel(model)
    >>> with torch.no_grad():
    ...     _ = model.weight.fill_(1.0); swa.update_parameters(model)
    ...     _ = model.weight.fill_(3.0); swa.update_parameters(model)
    >>> swa.module.weight.item()
    2.0
"""
import copy
import itertools
import math

from .. import _C
from ..autograd.grad_mode import no_grad
from ..nn.modules.batchnorm import _BatchNorm
from ..nn.modules.module import Module
from .lr_scheduler import LRScheduler, _warn_get_lr_called_within_step

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn",
           "get_ema_avg_fn", "get_swa_avg_fn"]


def get_ema_multi_avg_fn(decay=0.999):
    """In-place EMA over lists of tensors: `ema = decay * ema + (1 - decay) * current`."""
    @no_grad()
    def ema_update(ema_param_list, current_param_list, _num_averaged):
        for ema, cur in zip(ema_param_list, current_param_list):
            if ema.is_floating_point() or ema.is_complex():
                ema.lerp_(cur, 1 - decay)
            else:
                ema.copy_(ema * decay + cur * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn():
    """In-place running mean over lists of tensors: `avg += (current - avg) / (n + 1)`."""
    @no_grad()
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        for avg, cur in zip(averaged_param_list, current_param_list):
            if avg.is_floating_point() or avg.is_complex():
                avg.lerp_(cur, 1 / (num_averaged + 1))
            else:
                avg.copy_(avg + (cur - avg) / (num_averaged + 1))
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """`avg_fn` for EMA: returns `decay * ema + (1 - decay) * current`."""
    @no_grad()
    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """`avg_fn` for SWA: returns the running mean after one more value."""
    @no_grad()
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """A deep copy of `model` (moved to `device` if given) whose parameters are averaged over the
    `update_parameters(model)` calls; calling it runs the copy. `n_averaged` counts the updates.

    With `use_buffers=True` buffers are averaged too; otherwise they are copied from `model` at
    each update."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", _C.tensor(0, dtype=_C.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _tracked(self, model):
        if self.use_buffers:
            return itertools.chain(model.parameters(), model.buffers())
        return model.parameters()

    def update_parameters(self, model):
        """Folds `model`'s current parameters into the average (the first call copies them)."""
        pairs = [(a.detach(), m.detach().to(a.device)) for a, m in zip(self._tracked(self.module),
                                                                       self._tracked(model))]
        # n_averaged is read once per update (one host sync), not once per tensor.
        n = int(self.n_averaged.item())
        with no_grad():
            if n == 0:
                for avg, cur in pairs:
                    avg.copy_(cur)
            elif self.avg_fn is not None:
                for avg, cur in pairs:
                    avg.copy_(self.avg_fn(avg, cur, self.n_averaged.to(avg.device)))
            else:
                multi = self.multi_avg_fn or get_swa_multi_avg_fn()
                # Group by device and dtype, as multi-tensor kernels would need.
                groups = {}
                for avg, cur in pairs:
                    groups.setdefault((str(avg.device), avg.dtype), ([], []))
                    groups[(str(avg.device), avg.dtype)][0].append(avg)
                    groups[(str(avg.device), avg.dtype)][1].append(cur)
                for avgs, curs in groups.values():
                    multi(avgs, curs, self.n_averaged.to(avgs[0].device))
            if not self.use_buffers:
                # Buffers are not averaged: keep them equal to the source model's.
                for b_avg, b_model in zip(self.module.buffers(), model.buffers()):
                    b_avg.detach().copy_(b_model.detach().to(b_avg.device))
            self.n_averaged.add_(1)


@no_grad()
def update_bn(loader, model, device=None):
    """Recomputes the running mean/var of every BatchNorm in `model` as the plain average over one
    pass of `loader` (a batch may be a tensor, or a list/tuple whose first item is the input).
    Does nothing when the model has no BatchNorm.

        >>> import ferrotorch as torch
        >>> bn = torch.nn.BatchNorm1d(1)
        >>> torch.optim.swa_utils.update_bn([torch.tensor([[1.0], [3.0]])], bn)
        >>> bn.running_mean
        tensor([2.])
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        # momentum=None: cumulative average over all batches seen since the reset.
        module.momentum = None
    for batch in loader:
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        if device is not None:
            batch = batch.to(device)
        model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's lr from its current value to `swa_lr` over `anneal_epochs` steps
    ("cos" or "linear"), then holds it there.

        >>> import ferrotorch as torch
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=1.0)
        >>> sched = torch.optim.swa_utils.SWALR(opt, swa_lr=0.1, anneal_epochs=1, anneal_strategy="linear")
        >>> opt.step(); sched.step()
        >>> round(opt.param_groups[0]["lr"], 6)
        0.1
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        if isinstance(swa_lr, (list, tuple)):
            if len(swa_lr) != len(optimizer.param_groups):
                raise ValueError(f"swa_lr must have the same length as optimizer.param_groups. swa_lr has "
                                 f"{len(swa_lr)} values, param_groups has {len(optimizer.param_groups)}.")
            swa_lrs = list(swa_lr)
        else:
            swa_lrs = [swa_lr] * len(optimizer.param_groups)
        for value, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = value
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must by one of 'cos' or 'linear', instead got {anneal_strategy}")
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        # Invert lr = alpha * swa_lr + (1 - alpha) * lr0 to recover the pre-annealing lr0.
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / span)))
        alpha = self.anneal_func(max(0, min(1, step / span)))
        groups = self.optimizer.param_groups
        lr0 = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in groups]
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(groups, lr0)]
