"""Mesa's own tools work on WorldModel, on Mesa 3.3 and 3.5: batch_run, the DataCollector,
constructor keywords, agent sets, and SolaraViz (its page, its Step and Reset buttons)."""

from __future__ import annotations

import inspect

import mesa
import numpy as np
import pandas as pd
import pytest

import connsim
from connsim import MemberState, ThirdCountry, Vendor, WorldModel

SHORT = {"end_year": 2020}


def test_batch_run_over_a_lever_and_two_seeds_gives_connsims_numbers():
    parameters = {"spec": "baseline", "us_pressure": [0.5, 0.9], **SHORT}
    if "rng" in inspect.signature(mesa.batch_run).parameters:  # Mesa 3.5: seeds are batch_run's own argument
        seeds = {"rng": [0, 1]}
    else:  # Mesa 3.3: a model parameter like any other
        seeds = {"iterations": 1}
        parameters["rng"] = [0, 1]
    results = mesa.batch_run(
        WorldModel, parameters=parameters, data_collection_period=1, number_processes=1, display_progress=False, **seeds
    )
    frame = pd.DataFrame(results)
    assert len(frame.groupby(["us_pressure", "rng"])) == 4
    for (pressure, seed), runs in frame.groupby(["us_pressure", "rng"]):
        expected = connsim.run(
            connsim.load_scenario("baseline").replace(us_pressure=pressure, **SHORT), seed=int(seed), record_agents=False
        ).model_vars
        runs = runs.sort_values("Step")
        # Mesa's batch_run reports the rows 0 .. steps - 1 of model_vars (its own convention)
        for column in ("us_allies_restricting", "free_flow_gdp_pair_share", "scorecard_security_EUU"):
            np.testing.assert_allclose(runs[column].to_numpy(), expected[column].to_numpy()[runs["Step"].to_numpy()], rtol=1e-12)
    high, low = (frame[frame["us_pressure"] == p]["us_allies_restricting"].mean() for p in (0.9, 0.5))
    assert high != low  # the lever reached the runs


def test_the_datacollector_is_mesas_and_holds_the_recorders_numbers():
    m = WorldModel("baseline", rng=2, **SHORT)
    for _ in range(3):
        m.step()
    dc = m.datacollector
    assert isinstance(dc, mesa.DataCollector)
    frame = dc.get_model_vars_dataframe()
    pd.testing.assert_frame_equal(frame, m.recorder.model_frame())
    assert len(dc.model_vars["convergence_index"]) == 4 and dc.model_vars["step"] == [0, 1, 2, 3]
    dc.collect(m)  # Mesa's call is harmless: the model records each step itself
    assert len(dc.get_model_vars_dataframe()) == 4
    assert len(dc.get_agent_vars_dataframe()) == 4 * 193


def test_levers_and_weights_are_validated_constructor_keywords():
    m = WorldModel("baseline", us_pressure=0.8, w_peer=0.3, beta_regime=2.0, rng=1)
    assert m.spec.us_pressure == 0.8 and m.spec.weights.w_peer == 0.3 and m.spec.beta_regime == 2.0
    assert m.spec.weights.w_oda == connsim.load_scenario("baseline").weights.w_oda  # the other weights kept
    with pytest.raises(connsim.ScenarioError, match="us_presure: not a scenario lever.*did you mean 'us_pressure'"):
        WorldModel("baseline", us_presure=0.8)
    with pytest.raises(connsim.ScenarioError, match="us_pressure"):
        WorldModel("baseline", us_pressure=1.5)
    with pytest.raises(TypeError, match="first argument"):
        WorldModel(scenario="baseline")  # connsim's scenario is spec=, Mesa 3.5 reserves scenario=


def test_states_and_vendors_are_apart_so_reporters_over_states_never_hit_a_firm():
    m = WorldModel("baseline", rng=0, **SHORT)
    assert Vendor not in m.agents_by_type and not any(isinstance(a, Vendor) for a in m.agents)
    assert len(m.vendors) == 7 and all(isinstance(v, Vendor) for v in m.vendors)
    assert m.states is m.agents
    regimes = m.agents.get("regime")  # a string reporter over every agent
    assert len(regimes) == 194 and set(regimes) <= set(connsim.names.REGIMES)
    assert m.agents_by_type[MemberState].agg("capacity", np.mean) == pytest.approx(m.state.capacity[m.state.member].mean())
    collector = mesa.DataCollector(agent_reporters={"regime": "regime", "threat": "threat"})
    collector.collect(m)
    assert len(collector.get_agent_vars_dataframe()) == 194
    assert sorted(v.name for v in m.vendors.select(lambda v: v.trusted_vendor)) == [
        "Ericsson",
        "Fujitsu",
        "NEC",
        "Nokia",
        "Samsung",
    ]


def test_stepping_the_agents_one_by_one_says_where_the_step_is():
    m = WorldModel("baseline", rng=0, **SHORT)
    with pytest.raises(RuntimeError, match=r"model\.step\(\)"):
        m.agents_by_type[ThirdCountry].shuffle_do("step")
    with pytest.raises(RuntimeError, match=r"model\.step\(\)"):
        m.vendors.shuffle_do("step")


solara = pytest.importorskip("solara", reason="SolaraViz needs the viz extra: pip install 'connsim[viz]'")


def _controller(model, parameters):
    import ipyvuetify as v
    from mesa.visualization.solara_viz import ModelController

    reactive = solara.Reactive(model)
    _, rc = solara.render(
        ModelController(
            reactive,
            model_parameters=solara.Reactive(parameters),
            play_interval=solara.Reactive(100),
            render_interval=solara.Reactive(1),
            use_threads=solara.Reactive(False),
        ),
        handle_error=False,
    )
    return reactive, (lambda label: rc.find(v.Btn, children=[label]).widget.click())


def test_a_solaraviz_page_builds_with_a_plot_component_and_lever_sliders():
    from mesa.visualization import Slider, SolaraViz, make_plot_component

    model = WorldModel("baseline", rng=1, **SHORT)
    sliders = {
        "us_pressure": Slider("US pressure", 0.5, 0.0, 1.0, 0.05),
        "eu_toolbox_strength": Slider("EU toolbox strength", 0.3, 0.0, 1.0, 0.05),
        **SHORT,
    }
    page = SolaraViz(
        model,
        components=[make_plot_component("convergence_index"), make_plot_component("hr_core_share_eu")],
        model_params=sliders,
    )
    solara.render(page, handle_error=False)


def test_solaraviz_step_and_reset_rebuild_the_model_with_the_sliders_values():
    model = WorldModel("baseline", rng=1, **SHORT)
    reactive, click = _controller(model, {"us_pressure": 0.9, **SHORT})
    click("Step")
    assert reactive.value.t == 1
    click("Reset")  # Mesa 3.5 passes its own Scenario as scenario=: WorldModel takes only its rng
    fresh = reactive.value
    assert fresh is not model and fresh.t == 0 and fresh.spec.us_pressure == 0.9
    click("Step")
    assert fresh.t == 1
