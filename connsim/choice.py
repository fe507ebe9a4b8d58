"""Logit (quantal-response) choice and policy inertia, shared by every decision.

A state that revises a decision picks option k with probability

    P(k) = exp(beta * U_k) / sum_k' exp(beta * U_k')

where beta is the rationality of the choice (beta = 0: a coin toss; beta -> inf:
always the best option).  Sampling is by inverse CDF from one uniform number per
state, so the vectorised rule and the per-agent reference below pick the same
option from the same random numbers.
"""

from __future__ import annotations

import numpy as np

__all__ = ["logit_probabilities", "sample_choice", "logit_choice", "revising", "logit_choice_one"]


def logit_probabilities(utilities: np.ndarray, beta: float) -> np.ndarray:
    """Row-wise logit probabilities of an (n, k) utility array (numerically stable)."""
    u = np.asarray(utilities, dtype=float)
    z = beta * u
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def sample_choice(probabilities: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Pick one option per row by inverse CDF: the first k with cumsum(P)[k] > u."""
    cdf = np.cumsum(probabilities, axis=-1)
    k = probabilities.shape[-1]
    picked = (cdf <= uniforms[:, None]).sum(axis=-1)
    return np.minimum(picked, k - 1)  # guards u within rounding of 1


def logit_choice(utilities: np.ndarray, beta: float, uniforms: np.ndarray) -> np.ndarray:
    """Options chosen by every state at once: (n, k) utilities, n uniforms -> n option indices."""
    return sample_choice(logit_probabilities(utilities, beta), uniforms)


def revising(revision_probability: float, uniforms: np.ndarray) -> np.ndarray:
    """Policy inertia: a state revises this step when its uniform falls below the probability."""
    return uniforms < revision_probability


def logit_choice_one(utilities: list[float], beta: float, uniform: float) -> int:
    """Per-agent reference of :func:`logit_choice`, kept for teaching and tested equal to it.

    Written as a state would reason: weigh each option, then draw.
    """
    scaled = [beta * u for u in utilities]
    best = max(scaled)
    weights = [np.exp(z - best) for z in scaled]
    total = sum(weights)
    cumulative = 0.0
    for k, w in enumerate(weights):
        cumulative += w / total
        if cumulative > uniform:
            return k
    return len(utilities) - 1
