"""Strong-Wolfe line search for `LBFGS` (bracketing then zoom with safeguarded cubic interpolation,
Nocedal & Wright, Numerical Optimization, algorithms 3.5 and 3.6), with the constants PyTorch uses."""


def cubic_minimizer(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through (x1, f1, f1') and (x2, f2, f2'), clipped to `bounds`
    (default: the interval between x1 and x2); the bounds' midpoint when the cubic has no minimum."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    disc = d1 * d1 - g1 * g2
    if disc < 0:
        return (lo + hi) / 2.0
    d2 = disc ** 0.5
    if x1 <= x2:
        x = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        x = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(x, lo), hi)


class _Point:
    """A trial step t with its loss f, flat gradient g and directional derivative gtd."""

    __slots__ = ("t", "f", "g", "gtd")

    def __init__(self, t, f, g, gtd):
        self.t, self.f, self.g, self.gtd = t, f, g, gtd


def strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Find a step t along d satisfying the strong Wolfe conditions.

    `obj_func(x, t, d)` returns (loss, flat_grad) at x + t * d. Returns (loss, flat_grad, t, evaluations).
    """
    d_norm = d.abs().max().item()
    start = _Point(0, f, g.clone(), gtd)

    def evaluate(step):
        f_new, g_new = obj_func(x, step, d)
        return _Point(step, f_new, g_new, g_new.dot(d).item())

    new = evaluate(t)
    evals = 1
    prev = start
    bracket = None
    done = False
    it = 0
    # Bracketing: grow the step until it overshoots (Armijo fails, loss rises, or slope turns >= 0).
    while it < max_ls:
        if new.f > f + c1 * new.t * gtd or (it > 1 and new.f >= prev.f):
            bracket = [prev, new]
            break
        if abs(new.gtd) <= -c2 * gtd:
            bracket, done = [new], True
            break
        if new.gtd >= 0:
            bracket = [prev, new]
            break
        step = cubic_minimizer(prev.t, prev.f, prev.gtd, new.t, new.f, new.gtd,
                               bounds=(new.t + 0.01 * (new.t - prev.t), new.t * 10))
        prev = new
        new = evaluate(step)
        evals += 1
        it += 1
    if it == max_ls:
        bracket = [start, new]

    # Zoom: shrink the bracket [low, high] until a point satisfies both conditions.
    insufficient = False
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    while not done and it < max_ls:
        a, b = bracket[0].t, bracket[1].t
        if abs(b - a) * d_norm < tolerance_change:
            break
        step = cubic_minimizer(a, bracket[0].f, bracket[0].gtd, b, bracket[1].f, bracket[1].gtd)
        # Keep trial points away from the bracket's ends: 10% of its length when progress stalls.
        lo, hi = min(a, b), max(a, b)
        margin = 0.1 * (hi - lo)
        if min(hi - step, step - lo) < margin:
            if insufficient or step >= hi or step <= lo:
                step = hi - margin if abs(step - hi) < abs(step - lo) else lo + margin
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        new = evaluate(step)
        evals += 1
        it += 1
        if new.f > f + c1 * new.t * gtd or new.f >= bracket[low].f:
            bracket[high] = new
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
        else:
            if abs(new.gtd) <= -c2 * gtd:
                done = True
            elif new.gtd * (bracket[high].t - bracket[low].t) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = new
    best = bracket[low]
    return best.f, best.g, best.t, evals
