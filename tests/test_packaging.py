"""The data ships with the package: a built wheel, installed in a fresh virtual environment, runs the baseline from a
folder outside the checkout and gives the checkout's numbers.

How the fresh environment is made, honestly and without a download of the dependencies:

1. The source tree (tracked and untracked-but-not-ignored files) is copied to a temporary folder and the wheel is
   built there (``pip wheel --no-deps``, with build isolation as a user's ``pip`` does; the build backend comes from
   the package index). Building in a copy leaves the checkout untouched and keeps a stale ``build/`` from leaking
   deleted files into the wheel.
2. ``python -m venv --without-pip`` makes an empty environment, not ``--system-site-packages``; the wheel is
   installed into it with this environment's pip (``pip --python fresh/bin/python install --no-deps``).
3. The dependencies (Mesa, numpy, pandas, ...) are the ones this test environment already has: a ``.pth`` file in
   the fresh environment appends this environment's site-packages to ``sys.path``, *after* the fresh
   site-packages. Python processes ``.pth`` files only in site directories, not in folders a ``.pth`` line
   appends, so the editable install's finder (``__editable__.connsim-*.pth``) never runs in the fresh
   environment: ``import connsim`` can only find the wheel. The test checks that it did (every connsim module comes
   from the fresh environment, no module from the checkout), and that every other distribution the fresh process
   imported is a declared requirement of connsim (the closure of the wheel's ``Requires-Dist``, extras resolved),
   so that a dependency the wheel forgot to declare cannot hide behind this environment's test tools.

What it does not check: that pip can resolve the requirements from the index (the test environment was itself
installed from the same ``pyproject.toml``). A full install with dependencies (``fresh/bin/pip install WHEEL``) was
checked by hand; see docs/design-notes.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from importlib import metadata
from pathlib import Path

import pandas as pd
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import connsim
from connsim.scenario import SCENARIOS_DIR, list_scenarios
from connsim.seeds import SEEDS_DIR

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not (ROOT / "pyproject.toml").is_file(), reason="needs the source checkout")

#: The sys.path entries that hold this test environment's installed distributions.
DEP_DIRS = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})


def _pip(*args: str, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=600, **kw)
    assert proc.returncode == 0, f"pip {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _source_files() -> list[str]:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("needs git to list the source tree")
    return [f for f in out.split("\0") if f and (ROOT / f).is_file()]


def _clean_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONSAFEPATH", "VIRTUAL_ENV", "PYTHONUSERBASE")
    }
    env["PYTHONNOUSERSITE"] = "1"
    env["MPLBACKEND"] = "Agg"
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("packaging")
    src = tmp / "src"
    for rel in _source_files():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, src / rel)
    _pip("wheel", str(src), "--no-deps", "-q", "-w", str(tmp / "dist"), cwd=tmp)
    (whl,) = (tmp / "dist").glob("connsim-*.whl")
    return whl


@pytest.fixture(scope="module")
def fresh(wheel, tmp_path_factory) -> dict[str, Path]:
    """A fresh virtual environment holding only the wheel, the dependencies made visible by a .pth file."""
    tmp = tmp_path_factory.mktemp("fresh")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    paths = sysconfig.get_paths(scheme="venv", vars={"base": str(venv), "platbase": str(venv)})
    python = Path(paths["scripts"]) / ("python.exe" if os.name == "nt" else "python")
    _pip("--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel))
    site = Path(paths["purelib"])
    (site / "zz_connsim_test_dependencies.pth").write_text("".join(f"{d}\n" for d in DEP_DIRS))
    elsewhere = tmp / "elsewhere"  # the working folder: outside the checkout
    elsewhere.mkdir()
    return {"venv": venv, "python": python, "scripts": Path(paths["scripts"]), "site": site, "cwd": elsewhere}


def _run(fresh, *cmd, timeout=300) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=fresh["cwd"], env=_clean_env(), capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _requirement_closure(name: str) -> set[str]:
    """Canonical names of ``name`` and everything it requires, transitively, with the extras it asks for."""
    seen: set[str] = set()
    todo = [(name, frozenset())]
    while todo:
        dist, extras = todo.pop()
        key = canonicalize_name(dist)
        if (key, extras) in seen:
            continue
        seen.add((key, extras))
        try:
            reqs = metadata.requires(dist) or []
        except metadata.PackageNotFoundError:
            continue  # an optional requirement that is not installed cannot have been imported
        for text in reqs:
            req = Requirement(text)
            envs = [{"extra": e} for e in extras] or [{"extra": ""}]
            if req.marker is None or any(req.marker.evaluate(e) for e in envs):
                todo.append((req.name, frozenset(req.extras)))
    return {k for k, _ in seen}


# --------------------------------------------------------------------------------------------- the wheel
def test_wheel_holds_the_seed_tables_the_library_and_the_provenance(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        data = {n: z.read(n) for n in names if n.startswith(("connsim/_seeds/", "connsim/_scenarios/"))}
    seeds = [p for p in SEEDS_DIR.iterdir() if p.suffix in (".csv", ".md", ".py", ".json")]
    reference = sorted((SEEDS_DIR / "reference").iterdir())
    scenarios = [p for p in SCENARIOS_DIR.iterdir() if p.suffix in (".toml", ".py")]
    assert any(p.suffix == ".csv" for p in seeds) and any(p.suffix == ".toml" for p in scenarios)
    expected = (
        {f"connsim/_seeds/{p.name}": p for p in seeds}
        | {f"connsim/_seeds/reference/{p.name}": p for p in reference}
        | {f"connsim/_scenarios/{p.name}": p for p in scenarios}
    )
    assert set(data) == set(expected), "the wheel's data files differ from seeds/ and scenarios/"
    for name, path in expected.items():  # each file exists once: the wheel holds the repository's bytes
        assert data[name] == path.read_bytes(), name
    modules = {f"connsim/{p.relative_to(ROOT / 'connsim').as_posix()}" for p in (ROOT / "connsim").rglob("*.py")}
    assert modules <= names, f"modules missing from the wheel: {sorted(modules - names)}"


# --------------------------------------------------------------------------------------------- the install
def test_installed_wheel_lists_the_library_from_anywhere(fresh):
    out = _run(fresh, fresh["scripts"] / "connsim", "list").stdout
    library = list_scenarios()
    assert len(library) >= 8
    for name in library:
        assert f"  {name} " in out, name
    assert "(none)" not in out
    assert f"DIR = {fresh['site'] / 'connsim' / '_scenarios'}" in out
    for script in ("conflict_sweep.py", "custom_rule.py", "custom_schedule.py"):
        assert f"  {script}" in out


def test_installed_wheel_runs_the_baseline_from_anywhere(fresh):
    out = fresh["cwd"] / "out"
    proc = _run(fresh, fresh["scripts"] / "connsim", "run", "baseline", "--out", out)
    assert "Strategic-autonomy scorecard" in proc.stdout
    assert {"model_vars.csv", "agent_vars.csv", "summary.txt", "run.json"} <= {p.name for p in out.iterdir()}
    written = pd.read_csv(out / "model_vars.csv")
    local = connsim.run("baseline", seed=0).model_vars.reset_index(drop=True)
    pd.testing.assert_frame_equal(written, local, check_dtype=False, check_exact=True)


PROBE = textwrap.dedent("""
    import hashlib, json, pkgutil, sys
    NEEDS_EXTRA = {"connsim.dashboard.page"}
    import connsim
    from connsim.seeds import seeds_dir
    from connsim.scenario import library_dir
    mv = connsim.run("baseline", seed=0).model_vars
    for m in pkgutil.walk_packages(connsim.__path__, "connsim."):
        if m.name in NEEDS_EXTRA:  # the page of the dashboard is a Solara app: the viz extra
            continue
        if not m.name.startswith(("connsim._seeds.", "connsim._scenarios.")):  # data and example scripts
            __import__(m.name)
    files = {name: getattr(m, "__file__", None) for name, m in list(sys.modules.items())}
    print(json.dumps({"connsim": connsim.__file__, "seeds": str(seeds_dir()), "library": str(library_dir()),
                      "sys_path": sys.path, "modules": {k: v for k, v in files.items() if v},
                      "model_vars": hashlib.sha256(mv.to_csv().encode()).hexdigest(), "rows": len(mv)}))
""")


#: Distributions that connsim's dependencies import when they are present (try/except imports):
#: numpy's f2py charset-normalizer, pyarrow's cloudpickle (installed here by the dask extra).
OPTIONAL_IMPORTS_OF_DEPENDENCIES = {"charset-normalizer", "cloudpickle"}


def test_installed_wheel_imports_only_itself_and_its_declared_requirements(fresh):
    probe = json.loads(_run(fresh, fresh["python"], "-c", PROBE).stdout)
    site = fresh["site"].resolve()
    assert Path(probe["connsim"]).resolve().is_relative_to(site)
    assert Path(probe["seeds"]).resolve() == site / "connsim" / "_seeds"
    assert Path(probe["library"]).resolve() == site / "connsim" / "_scenarios"
    local = connsim.run("baseline", seed=0).model_vars
    assert probe["rows"] == len(local) > 0
    assert probe["model_vars"] == hashlib.sha256(local.to_csv().encode()).hexdigest(), "numbers differ from the checkout"

    deps = [Path(d).resolve() for d in DEP_DIRS]
    assert not any(Path(p).resolve() in (ROOT, ROOT / "connsim") for p in probe["sys_path"] if p)
    owners: dict[str, set[str]] = {}  # first path part under site-packages -> distributions that installed it
    for dist in metadata.distributions():  # RECORD read as text: dist.files is ~50x slower
        name = canonicalize_name(dist.metadata["Name"])
        for line in (dist.read_text("RECORD") or "").splitlines():
            owners.setdefault(line.partition(",")[0].partition("/")[0], set()).add(name)
    imported: set[str] = set()
    for name, file in probe["modules"].items():
        path = Path(file).resolve()
        assert not name.startswith("__editable__"), f"the editable install's finder ran: {name}"
        if name == "connsim" or name.startswith("connsim."):
            assert path.is_relative_to(site), f"{name} was imported from {path}, not from the wheel"
            continue
        dep = next((d for d in deps if path.is_relative_to(d)), None)
        if dep is None:
            assert not path.is_relative_to(ROOT), f"{name} was imported from the checkout ({path})"
            continue
        top = path.relative_to(dep).parts[0]
        assert top in owners, f"{name} ({path}) belongs to no installed distribution"
        imported |= owners[top]
    # numpy imports charset-normalizer if it happens to be installed (numpy.f2py, reached through
    # scipy's `from numpy import *`): an optional import of a dependency, not one of connsim's
    allowed = _requirement_closure("connsim") | OPTIONAL_IMPORTS_OF_DEPENDENCIES
    assert {"mesa", "numpy", "pandas"} <= imported
    assert imported <= allowed, f"imported but not required by connsim: {sorted(imported - allowed)}"


def test_installed_wheel_rebuilds_the_seed_tables(fresh):
    """The wheel ships seeds/build.py with reference/: the provenance travels with the data."""
    out = fresh["cwd"] / "rebuilt"
    _run(fresh, fresh["python"], "-m", "connsim._seeds.build", "--out", out)
    built = sorted(p.name for p in out.glob("*.csv"))
    assert "countries.csv" in built
    for name in built:
        assert (out / name).read_bytes() == (SEEDS_DIR / name).read_bytes(), name
