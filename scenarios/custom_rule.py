"""A custom decision rule: replace the model's regime rule with one of your own.

The rule, which no lever expresses: Japanese capacity building comes with Japan's view of data
governance attached, so Indo-Pacific third countries with an active Japanese digital-ODA
partnership feel an extra pull toward Japan's regime ('trust', DFFT). The custom rule calls the
model's own rule and adds one term, ``japanese_partner``; revising states then pick by logit
over its utilities, and ``explain`` shows the new term beside the model's own.

A rule is a function from a :class:`connsim.Situation` (the state arrays, the step's levers, the
run's constants, the decision's inputs) to ``(utilities, terms)``: the (states, options) utility
of every option and its named terms. ``connsim.run(..., rules={"regime": rule})`` uses it.

    python scenarios/custom_rule.py
"""

import numpy as np
import pandas as pd

import connsim
from connsim.names import DONORS, REGIMES

TRUST = REGIMES.index("trust")
JPN = DONORS.index("JPN")
REGION = "Indo-Pacific"
PULL = 3.0  # utility of 'trust' for a Japanese ODA partner of the region (the model's terms are of order 1)


def japan_partners_lean_to_trust(situation: connsim.Situation):
    """The model's regime rule plus a pull toward 'trust' for Indo-Pacific partners of Japanese ODA."""
    utilities, terms = connsim.RULES["regime"](situation)  # the model's own rule first
    st = situation.state
    partner = st.third & (st.paper_region == REGION) & st.partnership_active[:, JPN]
    pull = np.zeros_like(utilities)
    pull[partner, TRUST] = PULL
    return utilities + pull, {**terms, "japanese_partner": pull}


def trust_share(result: connsim.RunResult, region: str) -> pd.Series:
    """Share of a region's third countries in the 'trust' regime, per year."""
    av = result.agent_vars
    members = set(connsim.load_seeds().countries.query("paper_region == @region and kind == 'ThirdCountry'")["iso3"])
    part = av[av["iso3"].isin(members)]
    return (part["regime"].astype(str) == "trust").groupby(part["year"]).mean()


if __name__ == "__main__":
    rows = {}
    for label, rules in (("model's rule", None), ("custom rule", {"regime": japan_partners_lean_to_trust})):
        result = connsim.run("baseline", seed=0, rules=rules)
        end = result.model_vars.iloc[-1]
        share = trust_share(result, REGION)
        rows[label] = {
            f"{REGION} in trust, 2025": share.loc[share.index >= 2025].iloc[0],
            f"{REGION} in trust, end": share.iloc[-1],
            "states in trust (world)": end["regime_share_trust"],
            "GDP pairs with free flows": end["free_flow_gdp_pair_share"],
            "Japan's norm reach (GDP)": end["scorecard_norm_reach_gdp_JPN"],
        }
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 160, "display.max_columns", None):
        print("baseline, seed 0: the model's regime rule vs the custom rule\n")
        print(pd.DataFrame(rows))
        custom = connsim.run("baseline", seed=0, rules={"regime": japan_partners_lean_to_trust})
        print("\nwhy Vietnam chose its regime at the end, with the custom term:")
        print(custom.explain("VNM").query("decision == 'regime'").dropna(axis=1).set_index("option").round(3))
