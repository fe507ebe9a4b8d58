"""Calibration: the behavioural parameters fitted to the 2019-2023 data-flow record by ABC-SMC.

The record (``seeds/calibration_targets.csv``, built by ``seeds/build.py`` from the sourced
reference data) has three patterns that are fitted at once (pattern-oriented modelling):

* ``law_count``: how many of the 193 states had a data-protection law at the end of 2020..2023;
* ``law_adopted``: which of the 80 states without a law at end-2019 had one by end-2023 (25 did);
* ``adequacy_granted``: the EU's adequacy decisions of 2020-2023 (the UK and Korea in 2021, the
  US Data Privacy Framework in 2023): how many, and to whom.

A fourth, ITIF's count of countries with data-localisation measures, has no counterpart in the
model and is only compared (``use = compare``). The 5G side after 2019 is never read: it is the
out-of-sample check (``docs/calibration.md``).

Each parameter set runs the record scenario (:func:`record_scenario`: the baseline from the
end-2019 world through four yearly rounds, with the US data framework in force for the 2023
round) over several seeds with :func:`connsim.run`, and is scored on one discrepancy per pattern
(:func:`discrepancies`). pyabc's ABC-SMC (an optional extra: ``pip install connsim[calibrate]``)
weighs the three by their spread (an adaptive p-norm) and keeps every population in a SQLite
database, so a stopped calibration resumes. The values the baseline uses and where they came from
are in ``connsim/calibration.toml`` (:func:`calibrated`).

>>> from connsim.calibration import load_targets, evaluate, FIRST_ESTIMATES
>>> fit = evaluate(FIRST_ESTIMATES, seeds=range(10))      # doctest: +SKIP
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "PARAMETERS",
    "FIRST_ESTIMATES",
    "PATTERNS",
    "Targets",
    "load_targets",
    "record_scenario",
    "simulate",
    "discrepancies",
    "evaluate",
    "fit_table",
    "calibrated",
    "calibration_of",
    "CalibrationError",
]

#: The fitted parameters: name -> (low, high) of its uniform prior. The others are fixed at their
#: defaults (docs/calibration.md says why each was kept out).
PARAMETERS: dict[str, tuple[float, float]] = {
    "revision_probability": (0.05, 0.9),
    "beta_regime": (0.5, 12.0),
    "kappa_law_peers": (0.0, 5.0),
    "kappa_law_status_quo": (0.0, 3.0),
    "kappa_adequacy_prospect": (0.0, 5.0),
    "d_law": (0.0, 5.0),
    "adequacy_openness": (0.0005, 0.03),
    "adequacy_w_capacity": (0.0, 15.0),
    "adequacy_w_trade": (0.0, 6.0),
}
#: The values before the calibration (the first estimates of connsim/weights.py and the baseline):
#: the reference the calibrated values must beat (tests/test_calibration.py).
FIRST_ESTIMATES: dict[str, float] = {
    "revision_probability": 0.35,
    "beta_regime": 4.0,
    "kappa_law_peers": 1.2,
    "kappa_law_status_quo": 0.5,
    "kappa_adequacy_prospect": 0.5,
    "d_law": 1.0,
    "adequacy_openness": 0.005,
    "adequacy_w_capacity": 5.0,
    "adequacy_w_trade": 2.0,
}
#: The fitted patterns and their discrepancy statistics (0 = the record exactly).
PATTERNS = {
    "law_count": "root mean square error of the yearly count of states with a law, end-2020..end-2023 (states)",
    "law_adopted": "Brier score of the model's probability that each 2019 no-law state has a law by end-2023",
    "adequacy_granted": "|new adequacy decisions - 3| / 3 + share of the record's three (GBR, KOR, USA) not granted",
}
#: The years of the record: end-2019 (the model's start, step 0) to end-2023 (step 16 of a quarterly run).
FIRST_YEAR, LAST_YEAR = 2019, 2023
#: The US framework of commitments (Executive Order 14086, October 2022) in force for the EU's
#: 2023 round: in the model's clock the fourth yearly round is at step 12 (year label 2022.0).
US_FRAMEWORK_FROM = 2022


class CalibrationError(ValueError):
    """A bad calibration input (targets, parameters, budget): the message names it and what is allowed."""


# --- the record ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    """The fitted record. ``law_count``: (5,) states with a law at end-2019..end-2023;
    ``candidates``: the 2019 no-law states (ISO3, sorted); ``adopted``: (m,) 1 where one of them
    had a law by end-2023; ``granted``: the states granted adequacy 2020-2023 -> year;
    ``compare``: the rows reported but not fitted; ``table``: the whole table."""

    law_count: np.ndarray
    candidates: tuple[str, ...]
    adopted: np.ndarray
    granted: dict[str, int]
    compare: pd.DataFrame
    table: pd.DataFrame


def load_targets(directory=None) -> Targets:
    """The calibration targets of ``seeds/calibration_targets.csv`` (or of the seeds folder
    ``directory``), validated by :func:`connsim.seeds.load_seeds` and checked here for
    completeness: raises :class:`CalibrationError` naming the file and what is missing."""
    from connsim.seeds import load_seeds

    seeds = load_seeds(directory)
    t = seeds.calibration_targets
    where = f"{seeds.directory.name}/calibration_targets.csv"
    fit = t[t["use"] == "fit"]
    counts = fit[fit["pattern"] == "law_count"].set_index("year")["value"]
    years = list(range(FIRST_YEAR, LAST_YEAR + 1))
    if sorted(counts.index) != years or (fit[fit["pattern"] == "law_count"]["key"] != "world").any():
        raise CalibrationError(f"{where}: pattern law_count needs one 'world' row for each year {FIRST_YEAR}..{LAST_YEAR}")
    states = seeds.countries.loc[seeds.countries["iso3"] != "EUU"]
    no_law = sorted(states.loc[states["dp_law"] == 0, "iso3"])
    adopted = fit[fit["pattern"] == "law_adopted"].set_index("key")["value"]
    if sorted(adopted.index) != no_law:
        missing = sorted(set(no_law) - set(adopted.index)) or sorted(set(adopted.index) - set(no_law))
        raise CalibrationError(
            f"{where}: pattern law_adopted needs one row for each state without a law at end-2019 in countries.csv "
            f"and no other; differs at {', '.join(missing[:5])}"
        )
    if not adopted.isin([0.0, 1.0]).all():
        raise CalibrationError(f"{where}: pattern law_adopted: value must be 0 or 1")
    if counts[FIRST_YEAR] != len(states) - len(no_law):
        raise CalibrationError(
            f"{where}: law_count {FIRST_YEAR} is {counts[FIRST_YEAR]:g} but countries.csv has "
            f"{len(states) - len(no_law)} states with a law at end-2019"
        )
    granted = fit[fit["pattern"] == "adequacy_granted"]
    bad = granted[~granted["key"].isin(set(states["iso3"])) | ~granted["year"].between(FIRST_YEAR + 1, LAST_YEAR)]
    if len(granted) == 0 or len(bad):
        raise CalibrationError(f"{where}: pattern adequacy_granted needs states of countries.csv granted in 2020..2023")
    return Targets(
        law_count=counts.loc[years].to_numpy(float),
        candidates=tuple(no_law),
        adopted=adopted.loc[no_law].to_numpy(float),
        granted=dict(zip(granted["key"], granted["year"].astype(int))),
        compare=t[t["use"] == "compare"].reset_index(drop=True),
        table=t,
    )


@lru_cache(maxsize=1)
def _targets() -> Targets:
    return load_targets()


# --- the model side ---------------------------------------------------------------------------------


def record_scenario(base="baseline"):
    """The scenario of the record: ``base`` from the end-2019 world through the EU's four yearly
    adequacy rounds of 2020-2023 (16 quarterly steps), with the US data framework in force for the
    last round. Nothing else is scripted: no lever of the 5G side is set from the record."""
    from connsim.runner import stop_at
    from connsim.scenario import load_scenario

    spec = load_scenario(base)
    spec = spec.replace(us_data_framework={spec.start_year: 0.0, US_FRAMEWORK_FROM: 1.0})
    return stop_at(spec, spec.start_year + (LAST_YEAR - FIRST_YEAR))


def check_parameters(params: Mapping[str, float]) -> dict[str, float]:
    """``params`` as floats, each a known fitted parameter within its prior range (else CalibrationError)."""
    out = {}
    for k, v in params.items():
        if k not in PARAMETERS:
            raise CalibrationError(f"parameter {k!r} is not calibrated; allowed {', '.join(PARAMETERS)}")
        lo, hi = PARAMETERS[k]
        if isinstance(v, bool) or not isinstance(v, (int, float, np.number)) or not lo <= float(v) <= hi:
            raise CalibrationError(f"parameter {k}: got {v!r}; allowed a number in {lo:g}..{hi:g} (its prior)")
        out[k] = float(v)
    return out


@dataclass
class Simulated:
    """What the record is compared with, for k seeds: ``law_count`` (k, 5) at end-2019..end-2023;
    ``has_law`` (k, m) of the 2019 no-law states at end-2023; ``granted`` (k,) sets of states
    newly granted adequacy; ``sovereign`` (k, 5) states with a sovereign-oriented law."""

    law_count: np.ndarray
    has_law: np.ndarray
    granted: list[set]
    sovereign: np.ndarray
    seeds: list[int]


def simulate(params: Mapping[str, float], seeds: Iterable[int], base="baseline") -> Simulated:
    """Run the record scenario with ``params`` (fitted parameters by name; the others as in
    ``base``) once per seed, through :func:`connsim.run`.

    Cost: about 45 ms a seed on this project's machine (model set-up and 16 quarterly steps of 193 states)."""
    from connsim.names import NO_LAW, REGIMES
    from connsim.runner import run
    from connsim.scenario import with_parameters

    spec = with_parameters(record_scenario(base), check_parameters(params))
    targets = _targets()
    seeds = [int(s) for s in seeds]
    counts, sovereign, has_law, granted = [], [], [], []
    rows = None
    for seed in seeds:
        r = run(spec, seed=seed, record_agents=False)
        rec = r.recorded
        spy = spec.steps_per_year
        at = np.arange(0, rec.position.shape[0], spy)  # end-2019, end-2020, ... (one row a year)
        pos = rec.position[at]
        if rows is None:
            iso = list(_iso3_tuple())
            rows = np.array([iso.index(c) for c in targets.candidates])
            iso_arr = np.array(iso)
        counts.append((pos != NO_LAW).sum(axis=1))
        sovereign.append((pos == REGIMES.index("sovereign")).sum(axis=1))
        has_law.append(pos[-1, rows] != NO_LAW)
        new = rec.adequacy[-1] & ~rec.adequacy[0]
        granted.append(set(iso_arr[new].tolist()))
    return Simulated(np.array(counts, float), np.array(has_law, bool), granted, np.array(sovereign, float), seeds)


@lru_cache(maxsize=1)
def _iso3_tuple() -> tuple[str, ...]:
    from connsim.seeds import load_seeds

    c = load_seeds().countries
    return tuple(c.loc[c["iso3"] != "EUU", "iso3"])


def discrepancies(sim: Simulated, targets: Targets | None = None) -> dict[str, float]:
    """One discrepancy per pattern (:data:`PATTERNS`), 0 when the model is the record:
    ``law_count`` (states), ``law_adopted`` (Brier score, 0..1), ``adequacy_granted`` (0..)."""
    t = _targets() if targets is None else targets
    mean_count = sim.law_count.mean(axis=0)
    rmse = float(np.sqrt(np.mean((mean_count[1:] - t.law_count[1:]) ** 2)))
    p = sim.has_law.mean(axis=0)
    brier = float(np.mean((p - t.adopted) ** 2))
    record = set(t.granted)
    n_new = np.array([len(g) for g in sim.granted], float)
    missed = np.array([len(record - g) / len(record) for g in sim.granted])
    adequacy = float(abs(n_new.mean() - len(record)) / len(record) + missed.mean())
    return {"law_count": rmse, "law_adopted": brier, "adequacy_granted": adequacy}


def evaluate(params: Mapping[str, float], seeds: Iterable[int] = range(20), base="baseline") -> dict[str, float]:
    """The discrepancies of ``params`` over ``seeds`` (:func:`simulate`, :func:`discrepancies`)."""
    return discrepancies(simulate(params, seeds, base))


def fit_table(sim: Simulated, targets: Targets | None = None) -> pd.DataFrame:
    """Model against record, one row per statistic: ``pattern``, ``statistic``, ``record``,
    ``model_mean``, ``model_sd`` (over seeds), ``model_5``, ``model_95``, ``seeds``."""
    t = _targets() if targets is None else targets
    rows = []

    def add(pattern, statistic, record, values):
        v = np.asarray(values, float)
        rows.append(
            dict(
                pattern=pattern,
                statistic=statistic,
                record=record,
                model_mean=v.mean(),
                model_sd=v.std(ddof=1) if len(v) > 1 else 0.0,
                model_5=np.quantile(v, 0.05),
                model_95=np.quantile(v, 0.95),
                seeds=len(v),
            )
        )

    for j, y in enumerate(range(FIRST_YEAR + 1, LAST_YEAR + 1), start=1):
        add("law_count", f"states with a law, end-{y}", t.law_count[j], sim.law_count[:, j])
    adopt = t.adopted.astype(bool)
    add("law_adopted", "Brier score (per seed: 0/1 forecast)", 0.0, ((sim.has_law - t.adopted) ** 2).mean(axis=1))
    add("law_adopted", "new laws among the 2019 no-law states", float(adopt.sum()), sim.has_law.sum(axis=1))
    add("law_adopted", "share of the record's adopters that adopt", 1.0, sim.has_law[:, adopt].mean(axis=1))
    add("law_adopted", "share of the record's non-adopters that adopt", 0.0, sim.has_law[:, ~adopt].mean(axis=1))
    p = sim.has_law.mean(axis=0)
    rows.append(
        dict(
            pattern="law_adopted",
            statistic="Brier score of the probability over seeds",
            record=0.0,
            model_mean=float(np.mean((p - t.adopted) ** 2)),
            model_sd=np.nan,
            model_5=np.nan,
            model_95=np.nan,
            seeds=len(sim.seeds),
        )
    )
    add("adequacy_granted", "new adequacy decisions 2020-2023", float(len(t.granted)), [len(g) for g in sim.granted])
    for iso in sorted(t.granted):
        add("adequacy_granted", f"{iso} granted (share of seeds)", 1.0, [iso in g for g in sim.granted])
    others = [len(g - set(t.granted)) for g in sim.granted]
    add("adequacy_granted", "states granted that the record did not", 0.0, others)
    for r in t.compare.itertuples():
        if r.pattern == "localisation_countries" and FIRST_YEAR <= r.year <= LAST_YEAR:
            add(
                "localisation_countries (compare)",
                f"ITIF countries with localisation measures {r.year} vs sovereign-oriented laws",
                r.value,
                sim.sovereign[:, r.year - FIRST_YEAR],
            )
    return pd.DataFrame(rows)


# --- the calibration the baseline uses -----------------------------------------------------------------


@lru_cache(maxsize=1)
def calibrated() -> dict[str, Any]:
    """``connsim/calibration.toml``: ``values`` (the fitted parameters as the baseline uses them)
    and ``provenance`` (command, budget, date, git commit, seed), ``id``."""
    text = resources.files("connsim").joinpath("calibration.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return data


def calibration_of(spec) -> dict[str, Any]:
    """Which calibration a scenario's values came from: ``{"id", "source", "matches", "differs"}``.
    ``matches`` is True when every calibrated parameter of ``spec`` has the calibrated value;
    ``differs`` lists those that do not (changed by the scenario or by hand)."""
    data = calibrated()
    values = data["values"]
    differs = []
    for k, v in values.items():
        got = getattr(spec, k) if k in type(spec).model_fields else getattr(spec.weights, k)
        if not math.isclose(float(got), float(v), rel_tol=1e-12, abs_tol=1e-15):
            differs.append(k)
    return {"id": data["id"], "source": "connsim/calibration.toml", "matches": not differs, "differs": differs}


# --- the ABC-SMC calibration (connsim calibrate) ----------------------------------------------------------

#: Files ``connsim calibrate`` writes to its folder (``calibrate.json`` marks it as connsim's).
CALIBRATION_FILES = (
    "calibration.db",
    "posterior.csv",
    "intervals.csv",
    "fit.csv",
    "summary.txt",
    "calibration.toml",
    "calibrate.json",
)
#: A parameter is reported as not identified when its posterior 5-95% interval is at least this
#: share of its prior's (a uniform prior's 5-95% interval is 0.9 of its range).
NOT_IDENTIFIED = 0.7


def _pyabc():
    try:
        import pyabc
    except ImportError:
        raise CalibrationError("connsim calibrate needs pyabc: pip install 'connsim[calibrate]'") from None
    return pyabc


@dataclass(frozen=True)
class Settings:
    """What a calibration is: changing any of these starts a different calibration."""

    population_size: int
    seeds: int
    seed: int
    base: str
    parameters: tuple

    def as_dict(self) -> dict:
        return {
            "population_size": self.population_size,
            "seeds": self.seeds,
            "seed": self.seed,
            "base": self.base,
            "parameters": {k: list(v) for k, v in self.parameters},
        }


def _model(seeds_per_point: int, base: str):
    """The pyabc model: a parameter set -> the three discrepancies over ``seeds_per_point`` fresh seeds."""

    def model(parameters) -> dict[str, float]:
        params = {k: float(parameters[k]) for k in PARAMETERS}
        seeds = np.random.randint(0, 2**31 - 1, size=seeds_per_point)  # noqa: NPY002 - pyabc draws from the legacy global stream: so do the run seeds
        return discrepancies(simulate(params, seeds.tolist(), base))

    return model


class _Progress:
    """A logging handler that turns pyabc's per-population log lines into one progress line each."""

    level = 0

    def __init__(self, progress, populations: int, seeds: int, t0: float):
        self.progress, self.populations, self.seeds, self.t0 = progress, populations, seeds, t0
        self.t, self.eps, self.simulations = None, None, 0

    def handle(self, record) -> None:
        import re
        import time

        msg = record.getMessage()
        m = re.match(r"t: (-?\d+), eps: ([^ ]+?)\.?$", msg)
        if m:
            self.t, self.eps = int(m.group(1)), float(m.group(2))
            return
        m = re.match(r"Accepted: (\d+) / (\d+) = ([^,]+)", msg)
        if m and self.t is not None and self.progress is not None:
            self.simulations += int(m.group(2))
            self.progress(
                f"population {self.t + 1}/{self.populations}: epsilon {self.eps:.4g}, acceptance {float(m.group(3)):.3f}, "
                f"{self.simulations:,} parameter sets simulated in this call ({self.simulations * self.seeds:,} runs), "
                f"{time.perf_counter() - self.t0:.0f} s"
            )


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q) -> np.ndarray:
    """Quantiles ``q`` of a weighted sample (the inverse of its weighted empirical CDF, midpoints)."""
    order = np.argsort(values)
    v, w = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, cdf, v)


def intervals(posterior: pd.DataFrame, weights: np.ndarray) -> pd.DataFrame:
    """Per parameter: its prior, first estimate, posterior 5% / median / 95%, and ``width_ratio``
    (posterior 5-95% width over the prior's); ``identified`` is False from :data:`NOT_IDENTIFIED`."""
    rows = []
    for k, (lo, hi) in PARAMETERS.items():
        q5, q50, q95 = weighted_quantile(posterior[k].to_numpy(), weights, [0.05, 0.5, 0.95])
        ratio = (q95 - q5) / (0.9 * (hi - lo))
        rows.append(
            dict(
                parameter=k,
                prior_low=lo,
                prior_high=hi,
                first_estimate=FIRST_ESTIMATES[k],
                posterior_5=q5,
                posterior_median=q50,
                posterior_95=q95,
                width_ratio=ratio,
                identified=bool(ratio < NOT_IDENTIFIED),
            )
        )
    return pd.DataFrame(rows)


def _round(x: float) -> float:
    return float(f"{x:.3g}")


def calibrate(
    out,
    *,
    populations: int = 8,
    population_size: int = 200,
    seeds: int = 4,
    seed: int = 0,
    max_simulations: int | None = None,
    check_seeds: int = 40,
    workers: int = 1,
    base: str = "baseline",
    progress=print,
    command: list[str] | None = None,
) -> dict[str, Any]:
    """Fit :data:`PARAMETERS` to the record by ABC-SMC (pyabc), kept in ``out`` (a folder).

    Parameters
    ----------
    out : folder of the calibration: ``calibration.db`` (pyabc's history, SQLite) and the results.
        Calling again with the same settings and ``out`` continues from the last population.
    populations : ABC-SMC generations in all (a rerun with more continues to this many).
    population_size : accepted parameter sets per generation.
    seeds : model runs per parameter set (fresh seeds each time).
    seed : seeds NumPy's global stream, which pyabc and the run seeds draw from (reproducible with
        ``workers=1``).
    max_simulations : start no new population once this many parameter sets have been simulated in all
        (a budget; pyabc checks it between populations, so a population once begun is finished).
    check_seeds : seeds of the final fit of the posterior median and of the first estimates.
    workers : processes of pyabc's multicore sampler (1: this process).
    progress : a function called with one line per generation (None: quiet).

    Returns
    -------
    dict with ``intervals``, ``fit``, ``posterior`` (DataFrames), ``values`` (the posterior medians,
    rounded to 3 significant digits), ``populations`` and ``simulations`` (in all).
    """
    import json
    import logging
    import time
    from pathlib import Path

    pyabc = _pyabc()
    out = Path(out)
    settings = Settings(population_size, seeds, seed, str(base), tuple((k, tuple(v)) for k, v in PARAMETERS.items()))
    db = out / "calibration.db"
    meta_path = out / "calibrate.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else None
    if meta is not None and meta.get("settings") != settings.as_dict():
        had = meta.get("settings") if isinstance(meta.get("settings"), dict) else {}
        now = settings.as_dict()
        differ = [f"{k} {had.get(k)!r} there, {v!r} now" for k, v in now.items() if k != "parameters" and had.get(k) != v]
        if had.get("parameters") != now["parameters"]:
            differ.append("the fitted parameters or their priors")
        raise CalibrationError(
            f"{out} holds a calibration with other settings ({'; '.join(differ)}); "
            "give the same settings to continue it, or choose another --out, or add --overwrite to start again"
        )
    out.mkdir(parents=True, exist_ok=True)
    meta = meta or {
        "written_by": "connsim",
        "kind": "calibrate",
        "files": list(CALIBRATION_FILES),
        "settings": settings.as_dict(),
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    for name in ("ABC.Sampler", "ABC.Epsilon", "ABC.Distance", "ABC.Acceptor", "ABC.History", "ABC.Adaptation"):
        logging.getLogger(name).setLevel(logging.WARNING)
    abc_logger = logging.getLogger("ABC")
    abc_logger.setLevel(logging.INFO)  # its "t: ..., eps: ..." and "Accepted: ..." lines become the progress
    abc_logger.propagate = False

    observed = {k: 0.0 for k in PATTERNS}
    prior = pyabc.Distribution(**{k: pyabc.RV("uniform", lo, hi - lo) for k, (lo, hi) in PARAMETERS.items()})
    sampler = pyabc.SingleCoreSampler() if workers == 1 else pyabc.MulticoreEvalParallelSampler(n_procs=workers)
    abc = pyabc.ABCSMC(
        _model(seeds, base),
        prior,
        pyabc.AdaptivePNormDistance(p=2, scale_function=pyabc.distance.mad),
        population_size=population_size,
        sampler=sampler,
    )
    np.random.seed(seed)  # noqa: NPY002 - pyabc samples from the legacy global stream
    if db.is_file():
        history = abc.load(f"sqlite:///{db}", 1)
        np.random.seed(seed + 1000 * (history.max_t + 1))  # noqa: NPY002 - a resumed run draws a new stream
    else:
        history = abc.new(f"sqlite:///{db}", observed)
    t0 = time.perf_counter()
    left = populations - history.n_populations
    budget = None if max_simulations is None else max_simulations - history.total_nr_simulations
    if left > 0 and (budget is None or budget > 0):
        logger = logging.getLogger("ABC")
        own = logger.handlers[:]
        logger.handlers = [_Progress(progress, populations, seeds, t0)]  # pyabc's own log lines are not shown
        try:
            history = abc.run(max_nr_populations=left, **({} if budget is None else {"max_total_nr_simulations": budget}))
        finally:
            logger.handlers = own
    posterior, weights = history.get_distribution(m=0, t=history.max_t)
    posterior = posterior[list(PARAMETERS)].reset_index(drop=True)
    weights = np.asarray(weights, float)
    iv = intervals(posterior, weights)
    values = {r.parameter: _round(r.posterior_median) for r in iv.itertuples()}
    check = list(range(10_000, 10_000 + check_seeds))  # seeds never drawn as run seeds above? distinct from 0..
    fit_cal = fit_table(simulate(values, check, base))
    fit_first = fit_table(simulate(FIRST_ESTIMATES, check, base))
    fit = fit_cal.rename(columns={c: f"calibrated_{c}" for c in ("model_mean", "model_sd", "model_5", "model_95")})
    for c in ("model_mean", "model_sd"):
        fit[f"first_estimates_{c}"] = fit_first[c].to_numpy()
    d_cal = discrepancies(simulate(values, check, base))
    d_first = discrepancies(simulate(FIRST_ESTIMATES, check, base))
    result = {
        "intervals": iv,
        "fit": fit,
        "posterior": posterior.assign(weight=weights),
        "values": values,
        "discrepancies": {"calibrated": d_cal, "first_estimates": d_first},
        "populations": int(history.n_populations),
        "simulations": int(history.total_nr_simulations),
        "seconds": time.perf_counter() - t0,
        "check_seeds": check_seeds,
    }
    _write_results(out, result, settings, command, meta)
    return result


def _git_commit() -> str:
    import subprocess
    from pathlib import Path

    try:
        root = Path(__file__).resolve().parent.parent
        r = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, timeout=10
        )
        return r.stdout.strip() + ("+changes" if dirty.stdout.strip() else "") if r.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def calibration_toml(values: Mapping[str, float], provenance: Mapping[str, Any], fit: Mapping[str, Any]) -> str:
    """The text of a ``calibration.toml``: its id, the values, where they came from and their fit."""

    def lit(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(lit(x) for x in v) + "]"
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [
        "# The calibrated values the baseline uses (connsim/weights.py and connsim/scenario.py defaults,",
        "# scenarios/baseline.toml) and where they came from: written by connsim calibrate (docs/calibration.md).",
        f"id = {lit(provenance['id'])}",
        "",
        "[values]  # posterior medians, 3 significant digits",
        *(f"{k} = {lit(v)}" for k, v in values.items()),
        "",
        "[provenance]",
        *(f"{k} = {lit(v)}" for k, v in provenance.items() if k != "id"),
        "",
        "[fit]  # discrepancy per pattern over the check seeds (0 = the record): calibrated, first estimates",
        *(f"{k} = {lit(v)}" for k, v in fit.items()),
    ]
    return "\n".join(lines) + "\n"


def _write_results(out, result, settings: Settings, command, meta) -> None:
    import datetime as dt
    import json

    result["posterior"].to_csv(out / "posterior.csv", index=False)
    result["intervals"].to_csv(out / "intervals.csv", index=False)
    result["fit"].to_csv(out / "fit.csv", index=False)
    commit = _git_commit()
    date = dt.date.today().isoformat()
    provenance = {
        "id": f"calibration-{date}-{commit[:7]}",
        "command": " ".join(command) if command else "connsim.calibration.calibrate",
        "date": date,
        "git_commit": commit,
        "seed": settings.seed,
        "populations": result["populations"],
        "population_size": settings.population_size,
        "seeds_per_parameter_set": settings.seeds,
        "parameter_sets_simulated": result["simulations"],
        "runs": result["simulations"] * settings.seeds,
        "check_seeds": result["check_seeds"],
        "method": "ABC-SMC (pyabc), adaptive p-norm distance (p=2, MAD scales) over the three patterns",
    }
    fit = {f"{k}_calibrated": round(v, 4) for k, v in result["discrepancies"]["calibrated"].items()}
    fit |= {f"{k}_first_estimates": round(v, 4) for k, v in result["discrepancies"]["first_estimates"].items()}
    (out / "calibration.toml").write_text(calibration_toml(result["values"], provenance, fit))
    (out / "summary.txt").write_text(summary_text(result) + "\n")
    meta = dict(meta)
    meta.update(
        command=list(command) if command else None,
        populations=result["populations"],
        simulations=result["simulations"],
        provenance=provenance,
    )
    (out / "calibrate.json").write_text(json.dumps(meta, indent=2) + "\n")


def summary_text(result) -> str:
    """The calibration's result as text: intervals, then the fit per pattern."""
    iv, fit = result["intervals"], result["fit"]
    lines = [
        f"ABC-SMC: {result['populations']} populations, {result['simulations']:,} parameter sets simulated",
        "",
        f"{'parameter':<26} {'prior':>14} {'first':>8} {'5%':>8} {'median':>8} {'95%':>8}  width/prior",
    ]
    for r in iv.itertuples():
        flag = "" if r.identified else "  (not identified)"
        lines.append(
            f"{r.parameter:<26} {f'{r.prior_low:g}..{r.prior_high:g}':>14} {r.first_estimate:>8.4g} {r.posterior_5:>8.4g} "
            f"{r.posterior_median:>8.4g} {r.posterior_95:>8.4g}  {r.width_ratio:.2f}{flag}"
        )
    n = int(fit["seeds"].iloc[0])
    lines += ["", f"fit over {n} seeds: record | calibrated mean ± sd | first estimates mean ± sd"]
    for r in fit.itertuples():
        sd = "" if np.isnan(r.calibrated_model_sd) else f" ± {r.calibrated_model_sd:.3g}"
        sd1 = "" if np.isnan(r.first_estimates_model_sd) else f" ± {r.first_estimates_model_sd:.3g}"
        lines.append(
            f"  {r.pattern:<18} {r.statistic:<58} {r.record:>7.4g} | {r.calibrated_model_mean:>7.4g}{sd:<9} | "
            f"{r.first_estimates_model_mean:>7.4g}{sd1}"
        )
    d = result["discrepancies"]
    lines += ["", "discrepancy per pattern (0 = the record): calibrated | first estimates"]
    for k in PATTERNS:
        lines.append(f"  {k:<18} {d['calibrated'][k]:.4f} | {d['first_estimates'][k]:.4f}")
    return "\n".join(lines)


# --- the screening that chose the parameters, and the out-of-sample forecast ------------------------------

#: The candidates screened with Morris elementary effects before the calibration (prior-like ranges).
SCREENED: dict[str, tuple[float, float]] = {
    "beta_regime": (0.5, 12.0),
    "revision_probability": (0.05, 0.9),
    "adequacy_openness": (0.0005, 0.05),
    "d_law": (0, 5),
    "kappa_law_peers": (0, 5),
    "kappa_adequacy_prospect": (0, 5),
    "kappa_law_status_quo": (0, 3),
    "phi": (0, 5),
    "kappa_cap": (0, 6),
    "kappa_repeal": (0, 10),
    "kappa_switch": (0, 3),
    "kappa_brussels": (0, 5),
    "capacity_growth": (0, 0.05),
    "adequacy_w_capacity": (0, 15),
    "adequacy_w_compatibility": (0, 10),
    "adequacy_w_trade": (0, 6),
    "beta_policy": (0.5, 12.0),
}
#: The outcomes of the record the screening looks at: (model_vars column, step year).
SCREEN_OUTCOMES = (("law_count", 2023.0), ("law_count", 2020.0), ("adequacy_decisions", 2023.0))


def screen(n: int = 12, replications: int = 2, seed: int = 1, base="baseline", workers: int | None = None) -> pd.DataFrame:
    """Morris elementary effects (:func:`connsim.sensitivity`) of the record's outcomes to the
    :data:`SCREENED` parameters on the record scenario: one row per parameter, ``mu_star`` and
    ``sigma`` per outcome. Cost: ``n * (len(SCREENED) + 1) * replications`` runs per outcome."""
    from connsim.experiments import sensitivity

    spec = record_scenario(base)
    cols = []
    for outcome, year in SCREEN_OUTCOMES:
        sa = sensitivity(
            spec,
            levers=SCREENED,
            outcome=outcome,
            year=year,
            method="morris",
            n=n,
            replications=replications,
            seed=seed,
            workers=workers,
        )
        ix = sa.indices[sa.indices["index"].isin(["mu_star", "sigma"])]
        ix = ix.pivot(index="lever", columns="index", values="value")
        ix.columns = [f"{outcome}@{year:g} {c}" for c in ix.columns]
        cols.append(ix)
    return pd.concat(cols, axis=1).sort_values(cols[0].columns[0], ascending=False)


#: The 5G outcomes forecast out of sample (never fitted): model_vars column -> what it is.
FORECAST_5G = {
    "eu_restricting": "share of the 27 member states restricting high-risk vendors (core exclusion or ban)",
    "us_allies_restricting": "share of US allies restricting high-risk vendors",
    "hr_core_share_third": "high-risk vendors' share of third countries' core networks",
}


def forecast_5g(params: Mapping[str, float], seeds: Iterable[int] = range(40), base="baseline") -> pd.DataFrame:
    """The model's 5G side at end-2023 under ``params`` (nothing of it was fitted): one row per
    :data:`FORECAST_5G` outcome and per high-risk vendor's world radio share, mean and sd over seeds."""
    from connsim.runner import run
    from connsim.scenario import with_parameters

    spec = with_parameters(record_scenario(base), check_parameters(params))
    rows = []
    for seed in seeds:
        mv = run(spec, seed=int(seed), record_agents=False).model_vars.iloc[-1]
        row = {k: mv[k] for k in FORECAST_5G}
        row |= {c: mv[c] for c in mv.index if c.startswith("vendor_share_ran_")}
        rows.append(row)
    df = pd.DataFrame(rows)
    return pd.DataFrame({"mean": df.mean(), "sd": df.std(ddof=1), "seeds": len(df)})
