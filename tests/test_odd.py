"""docs/odd.md is the model in the ODD protocol, written from the code's registries: it cannot drift."""

from __future__ import annotations

import pytest

from connsim import odd
from connsim.dynamics import RULES
from connsim.outcomes import OUTCOMES
from connsim.scenario import BEHAVIOUR_KEYS, LEVERS
from connsim.weights import Weights

PAGE = odd.odd_markdown()


def test_the_committed_page_is_what_the_script_writes_now():
    assert odd.TARGET.read_text(encoding="utf-8") == PAGE, "docs/odd.md is not current: run python -m connsim.odd"


def test_the_page_holds_every_registry_entry():
    for name in (*LEVERS, *BEHAVIOUR_KEYS, *Weights.model_fields, *RULES):
        assert f"`{name}`" in PAGE, name
    for o in OUTCOMES:
        assert f"`{o.name}`" in PAGE, o.name
    assert "{{" not in PAGE
    for section in (
        "Purpose and patterns",
        "Entities",
        "Process overview",
        "Design concepts",
        "Initialization",
        "Input data",
        "Submodels",
    ):
        assert section in PAGE


def test_a_weight_changed_in_the_code_changes_the_page(monkeypatch):
    field = Weights.model_fields["w_jp"]
    monkeypatch.setattr(field, "description", "a meaning changed in the code")
    assert "a meaning changed in the code" in odd.odd_markdown()


def test_an_unknown_field_of_the_template_is_refused(tmp_path):
    template = tmp_path / "odd.template.md"
    template.write_text("# ODD\n\n{{no_such_field}}\n", encoding="utf-8")
    with pytest.raises(KeyError, match="no_such_field"):
        odd.odd_markdown(template)


def test_check_mode_reports_a_stale_page(tmp_path, monkeypatch):
    stale = tmp_path / "odd.md"
    stale.write_text("old\n", encoding="utf-8")
    monkeypatch.setattr(odd, "TARGET", stale)
    assert odd.main(["--check"]) == 1
    assert odd.main([]) == 0 and stale.read_text(encoding="utf-8") == PAGE
    assert odd.main(["--check"]) == 0
