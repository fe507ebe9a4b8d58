"""A custom agent rule: subclass WorldModel and override one of its decisions.

The rule, which no lever expresses: Indo-Pacific third countries with an active Japanese digital-ODA
partnership adopt Japan's data regime ('trust', DFFT) outright, as if Japanese capacity building
came with the regime attached. ``_decide_regimes`` runs the model's own logit choice and then the
custom rule overrides it for those states; everything else (recording, adequacy, the next step)
sees the overridden regimes. The run loop is the one of ``connsim.run``.

    python scenarios/custom_rule.py
"""

import numpy as np
import pandas as pd

from connsim import RunResult, WorldModel, load_scenario
from connsim.scenario import DONORS
from connsim.seeds import REGIMES

TRUST = REGIMES.index("trust")
JPN = DONORS.index("JPN")


class JapanRegimeFollowers(WorldModel):
    """WorldModel where Indo-Pacific partners of Japanese digital ODA adopt the 'trust' regime."""

    region = "Indo-Pacific"

    def _decide_regimes(self, *args, **kwargs):
        super()._decide_regimes(*args, **kwargs)  # the model's own rule first
        st = self.state
        follow = st.third & (st.paper_region == self.region) & st.partnership_active[:, JPN]
        st.regime = np.where(follow, TRUST, st.regime).astype(st.regime.dtype)


def run_model(model_class, scenario, seed=0) -> RunResult:
    """What connsim.run does, for any WorldModel subclass."""
    model = model_class(load_scenario(scenario), rng=seed, record_agents=True)
    for _ in range(model.n_steps):
        model.step()
    return RunResult(model, seed)


def trust_share(result: RunResult, region: str) -> pd.Series:
    """Share of a region's third countries in the 'trust' regime, per year."""
    av = result.agent_vars
    st = result.model.state
    members = set(st.iso3[st.third & (st.paper_region == region)])
    part = av[av["iso3"].isin(members)]
    return (part["regime"].astype(str) == "trust").groupby(part["year"]).mean()


if __name__ == "__main__":
    rows = {}
    for label, cls in (("model's rule", WorldModel), ("custom rule", JapanRegimeFollowers)):
        result = run_model(cls, "baseline", seed=0)
        end = result.model_vars.iloc[-1]
        share = trust_share(result, JapanRegimeFollowers.region)
        rows[label] = {
            "Indo-Pacific in trust, 2025": share.loc[share.index >= 2025].iloc[0],
            "Indo-Pacific in trust, end": share.iloc[-1],
            "states in trust (world)": end["regime_share_trust"],
            "GDP pairs with free flows": end["free_flow_gdp_pair_share"],
            "Japan's norm reach (GDP)": end["JPN_norm_reach_gdp"],
        }
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 160, "display.max_columns", None):
        print("baseline, seed 0: the model's regime rule vs the custom rule\n")
        print(pd.DataFrame(rows))
