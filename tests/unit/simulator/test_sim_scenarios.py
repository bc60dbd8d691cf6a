"""Scenarios: built-ins load and compare strategies; bad files are rejected by field name."""

import pytest

from simulator import SIZES, ScenarioError, builtin_scenario, load_scenario
from simulator.scenario import builtin_names

EXPECTED = {
    "quality-vs-quantity", "interest-vs-goal", "crisis-response", "in-house-vs-agency",
    "long-tail", "shape-conversations",
}  # fmt: skip


def test_every_built_in_scenario_loads_and_compares_two_or_more_strategies():
    assert set(builtin_names()) >= EXPECTED
    for name in builtin_names():
        assert len(builtin_scenario(name).strategies) >= 2


def test_long_tail_runs_eighteen_months():
    assert builtin_scenario("long-tail").days >= 540


def test_named_sizes_are_small_and_large():
    assert SIZES["small"].members < SIZES["large"].members
    assert SIZES["large"].days == 365


def test_an_out_of_range_value_is_an_error_naming_its_field(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "bad"\n[[strategies]]\nname = "a"\nquality = 1.5\n')
    with pytest.raises(ScenarioError, match=r"strategies\.0\.quality"):
        load_scenario(path)


def test_an_unknown_field_is_rejected_by_name(tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text('name = "typo"\n[population]\nmembrs = 10\n[[strategies]]\nname = "a"\n')
    with pytest.raises(ScenarioError, match=r"population\.membrs"):
        load_scenario(path)


def test_an_unknown_built_in_lists_the_known_ones():
    with pytest.raises(ScenarioError, match="crisis-response"):
        builtin_scenario("no-such-thing")


def test_an_unknown_strategy_names_the_known_ones():
    with pytest.raises(ScenarioError, match="fast-escalation"):
        builtin_scenario("crisis-response").strategy("loud")


def test_duplicate_strategy_names_are_rejected(tmp_path):
    path = tmp_path / "dup.toml"
    path.write_text('name = "dup"\n[[strategies]]\nname = "a"\n[[strategies]]\nname = "a"\n')
    with pytest.raises(ScenarioError, match="unique"):
        load_scenario(path)
