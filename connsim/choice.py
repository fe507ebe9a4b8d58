"""Logit (quantal-response) choice and policy inertia, shared by every decision.

A state that revises a decision picks option k with probability

    P(k) = exp(beta * U_k) / sum_k' exp(beta * U_k')

where beta is the rationality of the choice (beta = 0: a coin toss; beta -> inf:
always the best option).  Sampling is by inverse CDF from one uniform number per
state, so the vectorised rule and the per-agent reference below pick the same
option from the same random numbers.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = [
    "Terms",
    "logit_probabilities",
    "logistic",
    "sample_choice",
    "logit_choice",
    "revising",
    "revise_choices",
    "logit_choice_one",
    "row_max",
    "row_sum",
]


class Terms(Mapping):
    """A decision's utility terms, name -> (n, options) array, held as one block.

    ``block`` is a (terms, n, options) array whose slices are the values, in the order of
    ``names``; the utility is their sum, ``total()``. The model's own rules return their terms
    this way so that the recorder copies one block per step instead of one array per term; a
    rule may equally return a plain ``dict`` of arrays (:mod:`connsim.dynamics`).
    """

    __slots__ = ("names", "block")

    def __init__(self, names: tuple[str, ...], block: np.ndarray):
        if block.shape[0] != len(names):
            raise ValueError(f"{len(names)} term names for a block of {block.shape[0]} terms")
        self.names, self.block = tuple(names), block

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.block[self.names.index(name)]
        except ValueError:
            raise KeyError(name) from None

    def __iter__(self):
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        return f"Terms({self.names}, block of shape {self.block.shape})"

    def total(self) -> np.ndarray:
        """The utility: the terms summed in order (as ``sum(terms.values())``), (n, options)."""
        return np.add.reduce(self.block, axis=0)


def row_max(a: np.ndarray) -> np.ndarray:
    """``a.max(axis=-1)``: (..., k) -> (...), faster for the few options of a choice (an
    elementwise chain over k <= 7 columns, O(size); numpy's reduction otherwise)."""
    k = a.shape[-1]
    if a.ndim < 2 or k < 2 or k > 7:
        return a.max(axis=-1)
    out = np.maximum(a[..., 0], a[..., 1])
    for j in range(2, k):
        np.maximum(out, a[..., j], out=out)
    return out


def row_sum(a: np.ndarray) -> np.ndarray:
    """``a.sum(axis=-1)``: (..., k) -> (...), bit for bit. For up to 7 options numpy sums a row
    left to right, and so does this chain of elementwise additions (faster on many short rows). O(size)."""
    k = a.shape[-1]
    if a.ndim < 2 or k < 2 or k > 7 or a.dtype.kind not in "fc":
        return a.sum(axis=-1)
    out = a[..., 0] + a[..., 1]
    for j in range(2, k):
        np.add(out, a[..., j], out=out)
    return out


def _scaled_utilities(u: np.ndarray, beta: float) -> np.ndarray:
    """``beta * u`` without undefined products: beta = 0 is a coin toss among the available
    options (-inf marks an unavailable one; 0 * -inf is not computed), and a beta so large that
    ``beta * u`` would overflow is its limit, the best options of each row sharing all the mass."""
    if beta == 0:
        return np.where(np.isneginf(u), -np.inf, 0.0)
    if beta <= 1e6:  # |u| would have to exceed 1e302 to overflow: utilities are far smaller
        return beta * u
    finite = np.abs(u[np.isfinite(u)])
    if finite.size == 0 or beta * float(finite.max()) <= 1e300:  # Python floats: no warning
        return beta * u
    return np.where(u >= row_max(u)[..., None], 0.0, -np.inf)


def logit_probabilities(utilities: np.ndarray, beta: float) -> np.ndarray:
    """Logit probabilities of each row's options: exp(beta U_k) / sum_k' exp(beta U_k').

    Parameters
    ----------
    utilities : (n, k) or (..., k) utilities; -inf marks an unavailable option.
    beta : rationality, 0 or more (0: a coin toss among the available options).

    Returns
    -------
    Probabilities of the shape of ``utilities``, summing to 1 over the last axis.

    Notes
    -----
    Numerically stable for any beta (each row shifted by its maximum; an overflowing beta is its
    limit, the best options sharing the mass). O(size).
    """
    u = np.asarray(utilities, dtype=float)
    z = _scaled_utilities(u, beta)
    z = z - row_max(z)[..., None]
    e = np.exp(z)
    return e / row_sum(e)[..., None]


def logistic(z: np.ndarray) -> np.ndarray:
    """Elementwise 1 / (1 + exp(-z)), any shape: the logit probability of taking an option against
    one other (``z = beta * (U - U_other)``).

    Where exp(-z) is beyond the largest float (a large beta) the answer is the formula's limit,
    exactly 0: numpy's overflow to inf gives it, so that overflow is expected here and not
    reported. O(size).
    """
    z = np.asarray(z, dtype=float)
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def sample_choice(probabilities: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Pick one option per row by inverse CDF: the first k with cumsum(P)[k] > u.

    Parameters
    ----------
    probabilities : (n, k) or (..., k) probabilities, each row summing to 1.
    uniforms : (n,) or (...,) uniforms in [0, 1), one per row.

    Returns
    -------
    (n,) or (...,) option indices (np.intp) in ``0..k-1``. O(n x k).
    """
    k = probabilities.shape[-1]
    if probabilities.ndim != 2 or np.ndim(uniforms) != 1:
        cdf = np.cumsum(probabilities, axis=-1)
        picked = (cdf <= np.asarray(uniforms)[:, None]).sum(axis=-1)
        return np.minimum(picked, k - 1)
    # count of cdf entries <= u; the cumulative sum is built left to right, as np.cumsum does
    cdf = probabilities[..., 0].copy()
    picked = (cdf <= uniforms).astype(np.intp)
    for j in range(1, k):
        np.add(cdf, probabilities[..., j], out=cdf)
        picked += cdf <= uniforms
    return np.minimum(picked, k - 1)  # guards u within rounding of 1


def logit_choice(utilities: np.ndarray, beta: float, uniforms: np.ndarray) -> np.ndarray:
    """Options chosen by every state at once, by logit: :func:`logit_probabilities` then
    :func:`sample_choice`.

    Parameters
    ----------
    utilities : (n, k) utilities of each state's options.
    beta : rationality, 0 or more.
    uniforms : (n,) uniforms in [0, 1), one per state.

    Returns
    -------
    (n,) option indices in ``0..k-1``. O(n x k).
    """
    return sample_choice(logit_probabilities(utilities, beta), uniforms)


def revise_choices(
    current: np.ndarray, *, revise: np.ndarray, utilities: np.ndarray, beta: float, uniforms: np.ndarray
) -> np.ndarray:
    """The options held after a step: revising states pick by logit, the others keep theirs.

    Parameters
    ----------
    current : (n,) option indices held now (not modified).
    revise : (n,) booleans: the state revises this step.
    utilities : (n, k) utilities of each state's options.
    beta : rationality, 0 or more.
    uniforms : (n,) uniforms in [0, 1), one per state (only the revisers' are read).

    Returns
    -------
    (n,) option indices, of ``current``'s dtype.

    Notes
    -----
    Only the revising rows are drawn (the same numbers as drawing all rows and keeping the
    revisers', since every row is its own draw from its own uniform): in a world of 10,000
    states about a tenth revise each quarter. On those few rows the logit and the inverse-CDF
    draw are done with reductions along the options (numpy adds a row of up to 7 numbers left to
    right, so the numbers are those of :func:`logit_choice`, bit for bit). O(r x k) for r
    revising states, plus O(n) for the copy.
    """
    out = current.copy()
    rows = revise.nonzero()[0]
    if rows.size:
        z = _scaled_utilities(utilities[rows], beta)
        z -= np.maximum.reduce(z, axis=1, keepdims=True)  # the ufunc methods: .max() and .sum() add a wrapper
        np.exp(z, out=z)
        z /= np.add.reduce(z, axis=1, keepdims=True)
        np.add.accumulate(z, axis=1, out=z)  # the cumulative probabilities, left to right
        picked = np.add.reduce(z <= uniforms[rows][:, None], axis=1)
        out[rows] = np.minimum(picked, z.shape[1] - 1)
    return out


def revising(revision_probability: float, *, uniforms: np.ndarray) -> np.ndarray:
    """Policy inertia: a state revises this step when its uniform falls below the probability.

    ``revision_probability`` a float in 0..1, ``uniforms`` (n,); returns (n,) booleans. O(n).
    """
    return uniforms < revision_probability


def logit_choice_one(utilities: list[float], beta: float, uniform: float) -> int:
    """Per-agent reference of :func:`logit_choice`, kept for teaching and tested equal to it.

    Written as a state would reason: weigh each option, then draw. ``utilities`` the k options'
    utilities, ``uniform`` in [0, 1); returns the option's index. O(k).
    """
    scaled = [beta * u for u in utilities]
    best = max(scaled)
    weights = [np.exp(z - best) for z in scaled]
    total = np.sum(weights)  # numpy's summation order, as in the vectorised rule
    cumulative = 0.0
    for k, w in enumerate(weights):
        cumulative += w / total
        if cumulative > uniform:
            return k
    return len(utilities) - 1
