"""A small per-process memo for set-up results that are pure functions of their inputs.

Every seed of a scenario starts from the same world, so the vendor calibration, the bloc
constants and the regional ODA targets are computed once per process for each distinct start
and looked up by a digest of their inputs. Bounded: at most 32 results and 32 MB, none over 4 MB.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["digest", "memo"]

_MEMO: dict = {}  # digest of the inputs of a pure set-up computation -> its result
_MEMO_BYTES: dict = {}  # ... and its size


def digest(*parts) -> bytes:
    """A digest of arrays (numbers or strings), scalars and strings: the key of a set-up result."""
    h = hashlib.blake2b(digest_size=32)
    for part in parts:
        if isinstance(part, np.ndarray):
            h.update(repr((part.dtype.str, part.shape)).encode())
            h.update("\x1f".join(map(str, part.ravel().tolist())).encode() if part.dtype == object else np.ascontiguousarray(part).tobytes())
        else:
            h.update(repr(part).encode())
        h.update(b"\x1e")
    return h.digest()


def _nbytes(value) -> int:
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        return sum(_nbytes(v) for v in value)
    return getattr(value, "data", np.empty(0)).nbytes * 3 if hasattr(value, "indptr") else 64  # sparse: data, indices, indptr


def memo(key, compute):
    """``compute()``, once per process for each distinct ``key`` (set-up results that are pure
    functions of their inputs: every seed of a scenario starts from the same world). At most
    32 results and 32 MB are kept, none over 4 MB."""
    hit = _MEMO.get(key)
    if hit is None:
        hit = compute()
        size = _nbytes(hit)
        if size <= 4 * 2**20:
            if len(_MEMO) >= 32 or sum(_MEMO_BYTES.values()) + size > 32 * 2**20:
                _MEMO.clear()
                _MEMO_BYTES.clear()
            _MEMO[key], _MEMO_BYTES[key] = hit, size
    return hit
