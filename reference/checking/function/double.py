"""The second derivative: autograd through your backward against finite differences of your
backward (gradgradcheck's niche). With ``double_backward=True`` a wrong one makes the report
NOT OK; checked by default on small inputs, it is only said (most backward passes save an
intermediate and are never differentiated twice).

A backward that reads an intermediate kept on ctx outside ``save_for_backward``, or computed
without autograd, gives the right first derivative and a wrong second one: to autograd that
intermediate is a constant. With psi = sum_k <w_k, grad_k(x, g)> for random w, autograd's
d psi / d x_k (and d psi / d g, through grad_output) is held against finite differences of
psi along random directions, each psi computed by a fresh forward and your backward.
"""

import numpy as np
import torch

from reference.checking.core import numeric
from reference.checking.function.calls import Caller, first_line, numpy
from reference.checking.function.probes import Finding
from reference.checking.function.spy import once_differentiable

TITLE = "the second derivative (autograd through backward) agrees with finite differences"


def second(caller: Caller, classes: list[type], upstream: list[np.ndarray], tolerance: float,
           kinks: list[np.ndarray | None], itemsize: int, asked: bool, seed: int) -> Finding:
    """See the module docstring; ``asked``: the user asked for it (a backward autograd cannot
    differentiate is then NOT OK, rather than not checked)."""
    marked = [c.__name__ for c in classes if once_differentiable(c)]
    if marked:
        return Finding("double", TITLE, None, f"not checked: {', '.join(marked)}'s backward "
                       "is marked once_differentiable")
    rng = np.random.default_rng(seed + 2)
    names = [s.name for s in caller.slots]
    g = [torch.from_numpy(np.array(u, dtype=np.float64)) for u in upstream]
    try:
        graph = caller.graph()
        g = [u.to(o.dtype).reshape(o.shape).requires_grad_() for u, o in
             zip(g, graph.outputs)]
        first = torch.autograd.grad(graph.outputs, graph.leaves, g, allow_unused=True,
                                    create_graph=True)
    except Exception as error:  # noqa: BLE001
        text = ("your backward cannot run with autograd recording it (create_graph=True): "
                f"{first_line(error)}")
        return Finding("double", TITLE, False if asked else None,
                       text if asked else f"not checked: {text}")
    used = [(k, t) for k, t in enumerate(first) if t is not None]
    if not used or not any(t.requires_grad for _, t in used):
        text = ("your backward's result does not depend on its inputs for autograd (it "
                "leaves torch, or detaches): a second derivative through it is zero")
        return Finding("double", TITLE, False if asked else None,
                       text if asked else f"not checked: {text}")
    w = {k: torch.from_numpy(rng.normal(size=tuple(t.shape))).to(t.dtype) for k, t in used}
    psi = sum((w[k] * t).sum() for k, t in used if t.requires_grad)
    try:
        auto = torch.autograd.grad(psi, graph.leaves + g, allow_unused=True)
    except Exception as error:  # noqa: BLE001
        text = f"autograd cannot differentiate your backward: {first_line(error)}"
        return Finding("double", TITLE, False if asked else None,
                       text if asked else f"not checked: {text}")
    w_np = {k: numpy(v) for k, v in w.items()}

    def psi_at(values: list[torch.Tensor], ups: list[torch.Tensor]) -> float:
        done = caller.backward(caller.graph(values), ups)
        if done.error:
            raise ValueError(done.error)
        return float(sum(np.sum(w_np[k] * numpy(t)) for k, t in enumerate(done.grads)
                         if t is not None and k in w_np))

    base = caller.start()
    ups = [u.detach() for u in g]
    wrong, gaps = [], []
    for k in range(len(names) + len(g)):
        slot = k < len(names)
        start = numpy(base[k]) if slot else numpy(ups[k - len(names)])
        if start.size == 0:
            continue

        def phi(value: np.ndarray, k: int = k, slot: bool = slot) -> float:
            values = [b.clone() for b in base]
            moved = list(ups)
            if slot:
                values[k] = caller.tensor(k, value)
            else:
                j = k - len(names)
                moved[j] = torch.from_numpy(value.copy()).to(ups[j].dtype)
            return psi_at(values, moved)
        grad = auto[k]
        mine = np.zeros(start.shape) if grad is None else numpy(grad)
        keep = 1.0 if not slot or kinks[k] is None else (~kinks[k]).astype(float)
        for _ in range(2):
            direction = rng.normal(size=start.shape) * keep
            try:
                estimate = numeric.derivative(phi, start, direction, itemsize, tolerance)
            except Exception:  # noqa: BLE001 - a step the forward or backward refuses
                continue
            verdict, gap = numeric.agrees(estimate, mine, tolerance)
            if verdict is not None and not verdict:
                wrong.append(names[k] if slot else f"grad_output {k - len(names)}"
                             if len(g) > 1 else "grad_output")
                gaps.append(gap)
                break
    if not wrong:
        return Finding("double", TITLE, True)
    wrong = list(dict.fromkeys(wrong))
    who = wrong[0] if len(wrong) == 1 else ", ".join(wrong[:-1]) + " and " + wrong[-1]
    text = (f"the second derivative in {who} is wrong (relative error {max(gaps):.1e}): "
            "autograd through your backward is not the derivative of your backward; a tensor "
            "it reads that it saved from inside the forward (an intermediate), kept on ctx or "
            "computed without autograd, is a constant to autograd")
    if not asked:  # most backward passes are never differentiated twice: said, not held
        return Finding("double", TITLE, None, text + " (this counts with "
                       "double_backward=True; mark the backward @once_differentiable to say "
                       "it is not meant to be differentiated)")
    spoils = {names.index(n): None for n in wrong if n in names}
    return Finding("double", TITLE, False, text, spoils,
                   [{"slip": "wrong second derivative", "where": wrong, "text": text + "."}])
