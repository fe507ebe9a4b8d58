"""The results store: finished runs appended to Parquet in batches, a manifest, and resume.

Layout of a store folder::

    manifest.json            what the ensemble is (digests of its scenarios, design, seeds and
                             options; connsim version and code digest), and each batch: its
                             runs, its files with their SHA-256 and size; the failed runs with
                             their errors; counts of runs done, failed and pending
    experiments.parquet      one row per run: run_id, scenario, the lever columns, replication, seed
    scenarios.json           the resolved base scenarios, so that any run can be reproduced
    model_vars/part-NNNNNN.parquet   outcomes of many runs (run_id first), one file per batch
    agent_vars/part-NNNNNN.parquet   agent-level frames, when recorded

A batch file is written whole to a temporary name, flushed to disk and renamed into place; only
then is it entered, with its checksum, in the manifest (itself replaced atomically). So a
process killed at any moment leaves a store whose manifest lists only complete files. Opening
the store again checks every listed file against its size and checksum: a file that is missing,
truncated or altered is dropped and its runs are run again; files the manifest does not list
(an interrupted write) are removed. A store of another ensemble (other scenarios, design,
seeds, options, connsim version or code) is refused rather than mixed with. A lock stops two
processes from writing one store at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from pathlib import Path

__all__ = ["Store", "StoreError", "code_digest"]

FORMAT = "connsim-ensemble/1"
_PART = re.compile(r"^part-(\d{6,})\.parquet$")


class StoreError(ValueError):
    """A store folder that cannot be used for this ensemble (one line: folder, why, what to do)."""


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def code_digest() -> str:
    """SHA-256 over connsim's source files and seed tables: results change when they change."""
    import connsim

    root = Path(connsim.__file__).resolve().parent
    h = hashlib.sha256()
    files = sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)
    try:
        from connsim.seeds import SEEDS_DIR

        files += sorted(Path(SEEDS_DIR).glob("*.csv"))
    except ImportError:  # the seed tables moved: their folder is hashed with the package
        files += sorted(p for p in root.rglob("*.csv"))
    for p in files:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _sha_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Store:
    """An ensemble's results folder (see the module docstring). Use :meth:`open`."""

    def __init__(self, path: Path, manifest: dict, lock=None):
        self.path = Path(path)
        self.manifest = manifest
        self._lock = lock
        self._next = 1 + max((b["id"] for b in manifest["batches"]), default=0)

    # --- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(cls, path, plan, experiments, *, label: str = "out") -> Store:
        """Create the store for ``plan`` in ``path``, or reopen it to resume (checking it is the
        same ensemble and that its files are intact). ``label`` names the argument in messages."""
        from connsim import __version__

        path = Path(path)
        where = f"{label} {path}"
        if path.exists() and not path.is_dir():
            raise StoreError(f"{where} is a file, not a folder; choose another {label}")
        manifest_path = path / "manifest.json"
        header = plan.header()
        code = code_digest()
        if manifest_path.exists():
            lock = cls._take_lock(path, where)
            try:
                manifest = json.loads(manifest_path.read_text())
                if manifest.get("format") != FORMAT:
                    raise ValueError("unknown format")
            except (ValueError, OSError, UnicodeDecodeError) as e:
                lock.close()
                raise StoreError(
                    f"{where}: manifest.json is unreadable ({e}); it is not a connsim ensemble store "
                    f"this version can resume; choose another {label}"
                ) from None
            try:
                cls._check_same(manifest, header, plan.digest(), __version__, code, where, label)
            except StoreError:
                lock.close()
                raise
            store = cls(path, manifest, lock)
            store._repair()
            return store
        if path.exists() and any(path.iterdir()):
            raise StoreError(
                f"{where} exists and is not an ensemble store (no manifest.json); choose an empty or new folder for {label}"
            )
        try:
            (path / "model_vars").mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"{where}: cannot create the folder: {e.strerror or e}") from None
        lock = cls._take_lock(path, where)
        experiments.to_parquet(path / "experiments.parquet.tmp", index=False)
        os.replace(path / "experiments.parquet.tmp", path / "experiments.parquet")
        scen = {k: json.loads(v) for k, v in plan.bases.items()}
        _write_atomic(path / "scenarios.json", (json.dumps(scen, indent=1) + "\n").encode())
        manifest = {
            "format": FORMAT,
            "connsim_version": __version__,
            "code": code,
            "digest": plan.digest(),
            "header": header,
            "n_runs": plan.n_runs,
            "columns": plan.columns,
            "record_agents": bool(plan.options.get("record_agents")),
            "created": _now(),
            "updated": _now(),
            "status": {"done": 0, "failed": 0, "pending": plan.n_runs},
            "batches": [],
            "failed": {},
        }
        store = cls(path, manifest, lock)
        store._save()
        return store

    @staticmethod
    def _take_lock(path: Path, where: str):
        key = os.path.realpath(path)
        with _OPEN_LOCK:
            if key in _OPEN:
                raise StoreError(
                    f"{where} is being written by another ensemble of this process; wait for it to finish "
                    "or choose another folder"
                )
            _OPEN.add(key)
        try:
            return _Lock(Store._os_lock(path, where), key)
        except BaseException:
            with _OPEN_LOCK:
                _OPEN.discard(key)
            raise

    @staticmethod
    def _os_lock(path: Path, where: str):
        f = (path / ".lock").open("a")
        try:
            import fcntl

            # a POSIX record lock: held by this process only (forked workers do not inherit it)
            # and released by the kernel the moment the process dies, however it dies
            fcntl.lockf(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # no fcntl (Windows): no lock
            pass
        except OSError:
            f.close()
            raise StoreError(
                f"{where} is being written by another process; wait for it to finish or choose another folder"
            ) from None
        return f

    @staticmethod
    def _check_same(manifest, header, digest, version, code, where, label):
        if manifest.get("digest") == digest and manifest.get("connsim_version") == version and manifest.get("code") == code:
            return
        old = manifest.get("header", {})
        fix = f"choose another {label}, or delete the folder to start afresh"
        if manifest.get("connsim_version") != version:
            raise StoreError(f"{where} holds results of connsim {manifest.get('connsim_version')}, not {version}; {fix}")
        if manifest.get("code") != code:
            raise StoreError(
                f"{where} holds results of another build of connsim {version} (its source or seed tables changed since); {fix}"
            )
        if old.get("scenarios") != header["scenarios"]:
            raise StoreError(
                f"{where} holds an ensemble of other scenarios (digests {_short(old.get('scenarios'))} there, "
                f"{_short(header['scenarios'])} here); {fix}"
            )
        for key, what in (
            ("root_seed", "root seed"),
            ("replications", "number of replications"),
            ("seeds", "seeds"),
            ("n_points", "design points"),
            ("design", "design points"),
            ("options", "options"),
        ):
            if old.get(key) != header.get(key):
                shown = (
                    f" ({old.get(key)!r} there, {header.get(key)!r} here)"
                    if key in ("root_seed", "replications", "n_points", "options")
                    else ""
                )
                raise StoreError(f"{where} holds an ensemble with other {what}{shown}; {fix}")
        raise StoreError(f"{where} holds another ensemble (digest {str(manifest.get('digest'))[:12]}); {fix}")

    def _repair(self) -> None:
        """Drop batches whose files are missing or corrupt; remove files no batch lists."""
        kept, dropped = [], 0
        for b in self.manifest["batches"]:
            ok = True
            for kind in ("model_vars", "agent_vars"):
                f = b.get(kind)
                if f is None:
                    continue
                p = self.path / f["file"]
                if not p.is_file() or p.stat().st_size != f["bytes"] or _sha_file(p) != f["sha256"]:
                    ok = False
            if ok:
                kept.append(b)
            else:
                dropped += 1
        listed = {b[k]["file"] for b in kept for k in ("model_vars", "agent_vars") if b.get(k)}
        for sub in ("model_vars", "agent_vars"):
            d = self.path / sub
            if not d.is_dir():
                continue
            for p in d.iterdir():
                rel = f"{sub}/{p.name}"
                ours = _PART.match(p.name) or (".parquet.tmp-" in p.name and p.name.startswith("part-"))
                if ours and rel not in listed:
                    p.unlink(missing_ok=True)
        for p in self.path.glob("*.tmp*"):
            if p.name.startswith(("manifest.json.tmp", "scenarios.json.tmp", "experiments.parquet.tmp")):
                p.unlink(missing_ok=True)
        self.repaired = dropped
        if dropped:
            self.manifest["batches"] = kept
            self._save()

    # --- state -------------------------------------------------------------------------------------
    def done(self) -> set[int]:
        return {i for b in self.manifest["batches"] for i in b["runs"]}

    def failed(self) -> dict[int, str]:
        done = self.done()
        return {int(k): v for k, v in self.manifest["failed"].items() if int(k) not in done}

    def reports(self) -> dict[int, dict]:
        return {int(k): v for b in self.manifest["batches"] for k, v in b.get("reports", {}).items()}

    def _save(self) -> None:
        done, failed = len(self.done()), len(self.failed())
        self.manifest["status"] = {"done": done, "failed": failed, "pending": self.manifest["n_runs"] - done - failed}
        self.manifest["updated"] = _now()
        _write_atomic(self.path / "manifest.json", (json.dumps(self.manifest, indent=1) + "\n").encode())

    # --- writing ---------------------------------------------------------------------------------
    def append(self, model_vars, agent_vars, status, reports) -> None:
        """One batch: the Arrow tables of its finished runs, and every run's status
        (``[(run_id, error or None, seconds)]``); failed runs are recorded with their error."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        ok = sorted(int(r) for r, err, _ in status if err is None)
        entry = {
            "id": self._next,
            "runs": ok,
            "written": _now(),
            "model_vars": None,
            "agent_vars": None,
            "seconds": round(sum(s for _, _, s in status), 3),
        }
        if reports:
            entry["reports"] = {str(r): v for r, v in reports}
        for kind, table in (("model_vars", model_vars), ("agent_vars", agent_vars)):
            if table is None or table.num_rows == 0:
                continue
            (self.path / kind).mkdir(exist_ok=True)
            rel = f"{kind}/part-{self._next:06d}.parquet"
            sink = pa.BufferOutputStream()
            pq.write_table(table, sink, compression="zstd")
            data = sink.getvalue().to_pybytes()
            _write_atomic(self.path / rel, data)
            entry[kind] = {"file": rel, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "rows": table.num_rows}
        self._next += 1
        for r, err, _ in status:
            if err is None:
                self.manifest["failed"].pop(str(r), None)
            else:
                self.manifest["failed"][str(r)] = err
        if ok:
            self.manifest["batches"].append(entry)
        self._save()

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    # --- reading ---------------------------------------------------------------------------------
    def read(self, kind: str = "model_vars", columns=None, run_ids=None):
        """The Arrow table of ``kind`` over all batches (rows in batch order), or None."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        files = [self.path / b[kind]["file"] for b in self.manifest["batches"] if b.get(kind)]
        if run_ids is not None:
            wanted = set(run_ids)
            files = [self.path / b[kind]["file"] for b in self.manifest["batches"] if b.get(kind) and wanted & set(b["runs"])]
        if not files:
            return None
        filters = [("run_id", "in", sorted(set(run_ids)))] if run_ids is not None else None
        cols = None if columns is None else ["run_id", *[c for c in columns if c != "run_id"]]
        return pa.concat_tables([pq.read_table(f, columns=cols, filters=filters) for f in files])

    @staticmethod
    def load_manifest(path) -> dict:
        p = Path(path) / "manifest.json"
        try:
            m = json.loads(p.read_text())
        except (OSError, ValueError) as e:
            raise StoreError(f"{path}: not an ensemble store ({e})") from None
        if m.get("format") != FORMAT:
            raise StoreError(f"{path}: not an ensemble store of this connsim (format {m.get('format')!r})")
        return m


_OPEN: set[str] = set()  # stores open for writing in this process (POSIX locks do not see them)
_OPEN_LOCK = threading.Lock()


class _Lock:
    """The OS lock of a store and its entry in this process's registry; ``close`` releases both."""

    def __init__(self, f, key: str):
        self.f, self.key = f, key

    def close(self) -> None:
        if self.f is not None:
            self.f.close()
            self.f = None
            with _OPEN_LOCK:
                _OPEN.discard(self.key)


def _short(d) -> str:
    if not isinstance(d, dict):
        return repr(d)
    return ", ".join(f"{v[:8]}" for v in d.values())
