"""Where the runs execute: serially, in local processes, on any ``concurrent.futures`` executor,
or on a Dask cluster.

The runs are sent in chunks of several runs (one task each) so that the cost of a round trip
is shared; at most a few chunks per worker are in flight, so memory stays flat whatever the
ensemble's size. A chunk that fails as a whole (its worker died, it could not be sent) marks its
runs failed and the others go on; a local process pool that breaks is replaced.

The results do not depend on where or in which order the runs execute: each run is a pure
function of (scenario, seed), and results are ordered by run id afterwards.

``workers=N`` starts N processes by forking this one when it runs no other thread (a worker is
then ready in milliseconds), and otherwise from a fork server that has imported connsim (safe
with threads, about a second to start once per session): forking a process that runs threads
may deadlock the child, which Python 3.12+ warns about.
"""

from __future__ import annotations

import concurrent.futures as cf
import sys
from collections.abc import Callable

from connsim.experiments import _worker
from connsim.experiments.design import DesignError, Plan

__all__ = ["check_executor", "resolve_executor", "execute", "dask_executor"]


class _Serial:
    """Runs in this process, one chunk after another (the default)."""

    workers = 1


def dask_executor(client_or_address):
    """A ``concurrent.futures`` executor over a Dask cluster: ``Client.get_executor(pure=False)``.

    ``pure=False``: Dask would otherwise treat two calls with equal arguments as one task.
    ``client_or_address``: a ``dask.distributed.Client`` or a scheduler address
    (``tcp://host:8786``). connsim must be installed where the workers run.
    """
    try:
        from distributed import Client
    except ImportError:
        raise ImportError("Dask executors need dask.distributed: pip install 'connsim[dask]'") from None
    client = client_or_address if isinstance(client_or_address, Client) else Client(client_or_address)
    ex = client.get_executor(pure=False)
    ex._connsim_workers = max(1, sum(client.nthreads().values()))
    return ex


def check_executor(executor=None, workers: int | None = None) -> None:
    """Refuse a wrong ``executor`` / ``workers`` before anything is created or run."""
    if executor is not None and workers is not None:
        raise DesignError("workers: give either executor= or workers=, not both")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise DesignError(f"workers: got {workers!r}; allowed a whole number from 1")
    if executor is None or executor == "serial" or isinstance(executor, cf.Executor):
        return
    if hasattr(executor, "get_executor"):  # a dask Client
        return
    raise DesignError(
        f"executor: got {type(executor).__name__}; allowed a concurrent.futures.Executor "
        "(ProcessPoolExecutor, ThreadPoolExecutor, dask Client.get_executor()) or a dask Client"
    )


def resolve_executor(executor=None, workers: int | None = None):
    """(executor, owned, workers): what runs the chunks, whether we must shut it down, and how
    many runs it executes at once (to size the chunks)."""
    check_executor(executor, workers)
    if workers is not None:
        if workers == 1:
            return _Serial(), False, 1
        return local_pool(workers), True, workers
    if executor is None or executor == "serial":
        return _Serial(), False, 1
    if hasattr(executor, "get_executor") and not isinstance(executor, cf.Executor):  # a dask Client
        ex = dask_executor(executor)
        return ex, False, ex._connsim_workers
    n = getattr(executor, "_connsim_workers", None) or getattr(executor, "_max_workers", None) or 4
    return executor, False, int(n)


def _chunks(ids: list[int], size: int) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def chunk_size(n_runs: int, workers: int) -> int:
    """Runs per task: a few tasks per worker for balance, at most 32 runs (about half a second)."""
    return max(1, min(32, n_runs // (4 * workers) if workers > 1 else 16))


def execute(
    plan: Plan,
    pending: list[int],
    on_result: Callable[[dict], None],
    *,
    executor=None,
    workers=None,
    progress: bool = False,
    label: str = "ensemble",
    chunk: int | None = None,
    max_chunk: int | None = None,
) -> None:
    """Run the ``pending`` runs of ``plan``, calling ``on_result(chunk result)`` in this process
    as each chunk completes (in completion order). ``max_chunk``: at most this many runs a task
    (a batch of the store is never split)."""
    ex, owned, n_workers = resolve_executor(executor, workers)
    size = min(chunk or chunk_size(len(pending), n_workers), max_chunk or len(pending) or 1)
    chunks = _chunks(pending, size)
    opts = dict(
        record_agents=plan.options.get("record_agents", False), outcomes=plan.options.get("outcomes"), reporters=plan.reporters
    )

    def task(ids):
        items, bases = [], {}
        for i in ids:
            base, changes, seed = plan.run(i)
            bases[base] = plan.bases[base]
            items.append((i, base, changes, seed))
        return bases, items

    bar = None
    try:
        if isinstance(ex, _Serial):
            bar = _bar(progress, len(pending), label)
            for ids in chunks:
                res = _worker.run_chunk(*task(ids), **opts)
                on_result(res)
                _advance(bar, res)
            return
        in_flight: dict = {}
        todo = list(reversed(chunks))
        window = 2 * n_workers + 2

        def submit():
            nonlocal ex
            while todo and len(in_flight) < window:
                ids = todo.pop()
                try:
                    fut = ex.submit(_worker.run_chunk, *task(ids), **opts)
                except cf.BrokenExecutor:
                    if not owned:
                        raise
                    ex = _replace(ex, n_workers)
                    fut = ex.submit(_worker.run_chunk, *task(ids), **opts)
                in_flight[fut] = ids

        submit()
        bar = _bar(progress, len(pending), label)  # after the pool has started (no thread before a fork)
        while in_flight:
            done, _ = cf.wait(list(in_flight), return_when=cf.FIRST_COMPLETED)
            broken = False
            for fut in done:
                ids = in_flight.pop(fut)
                try:
                    res = fut.result()
                except BaseException as e:  # the chunk failed as a whole: its runs fail, the others go on
                    if isinstance(e, KeyboardInterrupt):
                        raise
                    broken |= isinstance(e, cf.BrokenExecutor)
                    text = _worker.describe_failure(e)
                    if isinstance(e, cf.BrokenExecutor):
                        text = f"the worker process died while running this chunk ({text}); run again to retry"
                    res = {"model_vars": None, "agent_vars": None, "reports": [], "status": [(i, text, 0.0) for i in ids]}
                on_result(res)
                _advance(bar, res)
            if broken and owned:
                ex = _replace(ex, n_workers)
            submit()
    except BaseException:
        if owned:
            ex.shutdown(wait=False, cancel_futures=True)
            owned = False
        raise
    finally:
        if bar is not None:
            bar.close()
        if owned:
            ex.shutdown(wait=True)


def local_pool(workers: int) -> cf.ProcessPoolExecutor:
    """A pool of ``workers`` local processes (forked when that is safe; module docstring)."""
    import multiprocessing as mp
    import threading

    methods = mp.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        ctx = mp.get_context("fork")
    elif "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["connsim.experiments._worker", "connsim"])
    else:  # Windows, macOS without fork
        ctx = mp.get_context("spawn")
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


def _replace(ex, n_workers):
    """A new local pool for a broken one (a worker process died)."""
    ex.shutdown(wait=False, cancel_futures=True)
    return local_pool(n_workers)


def _bar(progress: bool, total: int, label: str):
    if not progress or total == 0:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=label, unit="run", file=sys.stderr, dynamic_ncols=True, smoothing=0.05)


def _advance(bar, res) -> None:
    if bar is None:
        return
    failed = sum(1 for s in res["status"] if s[1] is not None)
    if failed:
        bar.failed = getattr(bar, "failed", 0) + failed
        bar.set_postfix(failed=bar.failed, refresh=False)
    bar.update(len(res["status"]))
