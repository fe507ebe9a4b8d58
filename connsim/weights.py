"""The coefficients of the decision rules (DESIGN.md section 9), with defaults and ranges.

None is country-specific: every state follows the same rules with the same weights, and what
differs between states is their data (``seeds/``). Six weights of the law and adequacy decisions
(``d_law``, ``kappa_law_peers``, ``kappa_adequacy_prospect``, ``kappa_law_status_quo``,
``adequacy_w_capacity``, ``adequacy_w_trade``) are calibrated to the 2019-2023 data-flow record:
their defaults are the posterior medians of ``connsim/calibration.toml`` (docs/calibration.md; a
test keeps them equal). The others are first estimates, set so that the end-2019 world is close
to a steady state under the baseline levers and the paper's stylized facts hold; they are
parameters for sensitivity analysis, not facts.

Each decision's utility is in one stated unit:

* 5G security policy: **years of the state's own network-equipment spend** (capex-years). The
  rip-and-replace and premium terms are the US$ costs the strategic-autonomy scorecard reports,
  divided by that spend and weighed by the shadow price of money (``income ** -alpha_income``);
  the other weights say how many capex-years security, retaliation, pressure and habit are worth.
* data-protection law and regime orientation: **the value of data flowing freely with all of a
  state's trade partners** (``phi`` of it at full compatibility); the other weights are in it.
* the EU's adequacy decision: log-odds of a grant (``adequacy_openness`` sets the odds of a
  candidate whose terms sum to zero).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


def _w(default: float, lo: float, hi: float, meaning: str):
    return Field(default, ge=lo, le=hi, description=meaning)


class Weights(BaseModel):
    """Weights of the three decisions. Every field: default, allowed range, one-line meaning."""

    model_config = ConfigDict(frozen=True, extra="forbid", revalidate_instances="always")

    # --- 5G: threat perception ------------------------------------------------------------
    threat_adjustment: float = _w(0.5, 0, 5, "per year: how fast threat perception moves toward its target")
    w_peer: float = _w(0.15, 0, 3, "threat raised by the share of security partners restricting")
    w_oda: float = _w(0.2, 0, 3, "threat moved by western minus Chinese ODA partnership strength")
    w_eu: float = _w(0.6, 0, 5, "per year: member states' pull toward the EU mean threat, times toolbox strength")
    w_jp: float = _w(0.15, 0, 5, "per year: member states' pull up toward Japan's threat, times information sharing")
    # --- 5G: security policy utility (capex-years) ---------------------------------------------
    pi_core: float = _w(0.6, 0, 1, "protection of core exclusion relative to a full ban")
    kappa_security: float = _w(3.0, 0, 20, "capex-years: value of full protection per unit of threat perception")
    kappa_cost: float = _w(1.0, 0, 5, "weight of the US$ costs of autonomy (rip-and-replace, premium); 1 = at face value")
    premium_horizon_years: float = _w(8.0, 1, 30, "years of trusted-vendor premium a state weighs when it restricts")
    alpha_income: float = _w(0.5, 0, 2, "shadow price of money: costs weigh income**-alpha (poorer states feel them more)")
    kappa_ret: float = _w(
        10.0, 0, 30, "capex-years: Chinese retaliation per unit of trade share with China times the retaliation states expect"
    )
    kappa_al: float = _w(2.0, 0, 30, "capex-years: alignment pressure, (align_us - align_cn) times conflict times US pressure")
    kappa_toolbox: float = _w(1.5, 0, 15, "capex-years: member states' pull toward restricting, times EU toolbox strength")
    kappa_status_quo: float = _w(1.0, 0, 15, "capex-years: keeping the current policy (political cost of reversal)")
    # --- 5G: procurement and vendors -----------------------------------------------------------
    lifecycle_years: float = _w(8.0, 2, 30, "years between renewals of network equipment (lambda = 1 / lifecycle)")
    rip_rate: float = _w(0.15, 0, 1, "per year: share of disallowed installed equipment ripped and replaced")
    gamma_price: float = _w(4.0, 0, 20, "procurement: weight of price")
    gamma_quality: float = _w(4.0, 0, 20, "procurement: weight of quality")
    gamma_reach: float = _w(2.0, 0, 20, "procurement: weight of a vendor's global reach")
    gamma_lockin: float = _w(3.0, 0, 20, "procurement: weight of the vendor's installed share (lock-in)")
    gamma_finance: float = _w(2.0, 0, 20, "procurement: weight of tied finance from an infrastructure partner")
    gamma_risk: float = _w(1.0, 0, 20, "procurement: distrust of high-risk vendors per unit of threat")
    omega_core: float = _w(2.0, 1, 10, "weight of core sales in a vendor's R&D base relative to radio")
    rd_elasticity: float = _w(0.3, 0, 3, "elasticity of a vendor's quality to its revenue share")
    quality_adjustment: float = _w(0.25, 0, 5, "per year: how fast quality moves toward its R&D-given level")
    export_control_drag: float = _w(
        0.1,
        0,
        0.3,
        "quality lost by a sanctioned vendor at full export-control intensity "
        "(ESTIMATED range 0-0.3: network equipment depends less on US chips than handsets, "
        "and the sanctioned vendor had stockpiled components in 2019)",
    )
    hard_conflict: float = _w(0.6, 0, 1, "conflict intensity from which export controls bite (rising to full at 1)")
    push_quality: float = _w(0.5, 0, 3, "quality gain of NEC and Fujitsu at full Japanese vendor push")
    push_reach: float = _w(0.08, 0, 1, "per year: global reach gained by NEC and Fujitsu at full push")
    viable_quality: float = _w(0.6, 0, 1.5, "quality a trusted vendor needs to be a real option")
    viable_reach: float = _w(0.3, 0, 1, "global reach a trusted vendor needs to be a real option abroad")
    # --- data-flow regimes ---------------------------------------------------------------------
    d_protect: float = _w(2.0, 0, 10, "weight of governance data in the disposition toward protect")
    d_trust: float = _w(1.5, 0, 10, "weight of governance data in the disposition toward trust")
    d_open: float = _w(1.5, 0, 10, "weight of governance data in the disposition toward open")
    d_sovereign: float = _w(2.0, 0, 10, "weight of governance data in the disposition toward sovereign")
    phi: float = _w(1.5, 0, 10, "benefit of data flows with trade partners whose regimes are compatible")
    kappa_cap: float = _w(2.0, 0, 10, "cost per unit of capacity a regime needs beyond what the state has")
    kappa_switch: float = _w(0.8, 0, 5, "utility of keeping the current regime (cost of new legislation)")
    kappa_brussels: float = _w(1.0, 0, 5, "pull toward protect per unit of trade share with the EU (single market)")
    kappa_us_regime: float = _w(0.4, 0, 5, "pull toward open: alignment with the US times US pressure")
    kappa_cn_regime: float = _w(0.5, 0, 5, "pull toward sovereign: alignment with China times Digital Silk Road intensity")
    kappa_jp_regime: float = _w(
        0.5, 0, 5, "pull toward trust from Japan's DFFT push, through a state's ties to Japan and the G20"
    )
    kappa_oda_regime: float = _w(0.8, 0, 5, "pull toward a donor's regime per unit of partnership strength")
    dfft_max_lift: float = _w(0.5, 0, 1, "largest share of the compatibility gap a full DFFT push closes (referees do not win)")
    interop_lift: float = _w(0.6, 0, 1, "share of the protect-trust gap closed by EU-Japan work beyond the bilateral agenda")
    free_flow_lo: float = _w(0.5, 0, 1, "compatibility below which no personal data flows freely between two positions")
    free_flow_hi: float = _w(1.0, 0, 1, "compatibility from which data flows fully freely (linear in between: no knife-edge)")
    capacity_growth: float = _w(0.005, 0, 0.1, "per year: capacity gained without aid (institutional learning)")
    # --- data-protection law ---------------------------------------------------------------------
    d_law: float = _w(2.46, 0, 10, "disposition to legislate per unit of rule of law above the middle (WGI mapped to 0..1)")
    kappa_law_peers: float = _w(2.42, 0, 10, "pull to legislate per unit of trade-weighted share of partners with a law")
    kappa_adequacy_prospect: float = _w(
        2.58, 0, 10, "pull to legislate per unit of trade share with the EU (a law opens adequacy)"
    )
    kappa_law_status_quo: float = _w(0.792, 0, 10, "utility of keeping the current law status (the cost of legislating)")
    kappa_repeal: float = _w(3.0, 0, 20, "cost of repealing a data-protection law (laws are rarely repealed)")
    # --- the EU's adequacy decision (log-odds) ----------------------------------------------------
    adequacy_w_capacity: float = _w(4.62, 0, 20, "log-odds per unit of the candidate's capacity above 0.6")
    adequacy_w_compatibility: float = _w(
        3.0, 0, 20, "log-odds per unit of free-flow intensity between the candidate's orientation and protect, above 0.5"
    )
    adequacy_w_trade: float = _w(
        3.88, 0, 10, "log-odds per decade of the candidate's trade with the EU as a share of EU GDP, above 1%"
    )
    adequacy_w_cooperation: float = _w(
        1.0, 0, 10, "log-odds for trust-oriented candidates per unit of EU-Japan cooperation beyond the bilateral"
    )
    # --- digital ODA ---------------------------------------------------------------------------
    oda_pooling_gain: float = _w(0.25, 0, 2, "efficiency gain of pooled EU-Japan budgets at full coordination")
    oda_reach: float = _w(40.0, 1, 500, "recipients a fully staffed donor can work with in a year")
    oda_income_ceiling: float = _w(12500.0, 1000, 100000, "GDP per capita (US$) above which a state gets no ODA")
    a_size: float = _w(1.0, 0, 10, "recipient: value of offer size (log of amount per 0.01% of GDP)")
    a_speed: float = _w(1.0, 0, 10, "recipient: value of a donor's speed")
    a_conditions: float = _w(1.5, 0, 10, "recipient: dislike of conditions, weighted by its lack of freedom")
    a_alignment: float = _w(1.0, 0, 10, "recipient: value of alignment with the donor")
    india_bonus: float = _w(0.5, 0, 5, "recipient value of EU/Japan inclusion programs run with Indian partners")
    u_outside: float = _w(1.2, -10, 10, "value of declining an offer")
    alpha_capacity: float = _w(0.5, 0, 10, "capacity gained per unit of capacity money / (GDP / 1000)")
    oda_bond: float = _w(0.5, 0, 1, "how far an accepted offer moves a partnership toward full strength")
    partnership_half_life: float = _w(3.0, 0.25, 30, "years for a partnership's pull to halve without new offers")
    partnership_years: float = _w(3.0, 0.25, 30, "years an accepted offer counts as an active partnership")
    tied_finance_years: float = _w(5.0, 0, 30, "years infrastructure finance ties procurement to the donor's vendors")
    # --- couplings of infrastructure, business and regulation (each 0 switches its link off) -------
    kappa_sovereign_infrastructure: float = _w(
        0.4,
        0,
        5,
        "pull toward sovereign per unit of a state's Chinese-built network (high-risk share, half core, half radio) "
        "and of Digital Silk Road finance in force (regime-utility units)",
    )
    kappa_data_risk: float = _w(
        0.2, 0, 2, "threat raised by a protective data orientation (a protect or trust law) and by an adequacy tie, each half"
    )
    kappa_capacity_security: float = _w(
        0.5, 0, 5, "threat raised per unit of data-protection capacity built since the start (capacity serves security too)"
    )
    retaliation_trade_cut: float = _w(
        0.3, 0, 1, "share of a state's trade with China cut by a Chinese retaliation act of full intensity"
    )
    retaliation_memory: float = _w(
        0.5, 0, 5, "per year: how fast states' expectation of Chinese retaliation follows what China has done"
    )
    # --- the powers' adaptive decisions (connsim/decisions/powers.py) -------------------------------
    # For each option x of a decision, at position u of the options' span and u0 for the power's
    # course (the scenario's value): response * (signal - signal at the first decision) * u
    # - power_course * (u - u0)**2, plus power_status_quo on the option held. ESTIMATED: each
    # response is set so that a typical change of its signal over the horizon moves the power by
    # about a third of the span (u* - u0 = response * change / (2 power_course)).
    power_course: float = _w(4.0, 0, 50, "cost of departing from the course, per (share of the options' span) squared")
    power_status_quo: float = _w(0.1, 0, 10, "utility of keeping a power's current decision")
    chn_retaliation_deterrence: float = _w(
        60.0, 0, 500, "China: retaliation readiness per unit of world GDP share newly restricting its vendors (change)"
    )
    chn_dsr_response: float = _w(8.0, 0, 100, "China: Digital Silk Road finance per unit of vendor share lost since the start")
    chn_discount_response: float = _w(
        8.0, 0, 100, "China: Huawei and ZTE price cut per unit of vendor share lost since the start"
    )
    us_pressure_response: float = _w(8.0, 0, 100, "US: pressure on partners per unit of allies not restricting (change)")
    us_controls_response: float = _w(
        20.0, 0, 200, "US: export controls per unit of high-risk vendors' world radio share times conflict (change)"
    )
    us_framework_response: float = _w(
        6.0, 0, 100, "US: value of a data framework per unit of its data gap with the EU (no free flow; not a change)"
    )
    eu_toolbox_response: float = _w(8.0, 0, 100, "EU: toolbox strength per unit of member-state divergence (change)")
    eu_oda_response: float = _w(
        16.0, 0, 200, "EU: more, better-staffed, ring-focused digital ODA per unit of Chinese ODA anchoring (change)"
    )
    eu_adequacy_response: float = _w(
        8.0, 0, 100, "EU: openness to adequacy per unit of third countries outside trusted regimes (change)"
    )
    eu_cooperation_response: float = _w(
        8.0, 0, 100, "EU and Japan: deeper cooperation per unit of third countries outside trusted regimes (change)"
    )
    jp_dfft_response: float = _w(10.0, 0, 100, "Japan: DFFT push per unit of the world's blocked data flows (change)")
    jp_vendor_response: float = _w(
        8.0, 0, 100, "Japan: NEC and Fujitsu push per unit of world GDP share restricting high-risk vendors (change)"
    )
    jp_oda_response: float = _w(16.0, 0, 200, "Japan: more digital ODA per unit of Chinese ODA anchoring (change)")
