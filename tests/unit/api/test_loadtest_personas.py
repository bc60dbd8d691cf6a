"""`townsquare loadtest --personas`: which Locust user classes a load test runs."""

from __future__ import annotations

import pytest

from api.loadtest import PERSONAS, personas_named


def test_no_list_runs_all_three_personas() -> None:
    assert personas_named(None) == PERSONAS


def test_a_list_keeps_its_order_and_drops_repeats_and_spaces() -> None:
    assert personas_named(" Integration,DashboardReader, Integration") == (
        "Integration",
        "DashboardReader",
    )


@pytest.mark.parametrize("text", ["Dashboard", "DashboardReader,Robot", "", " , "])
def test_an_unknown_or_empty_list_is_refused_naming_the_choices(text: str) -> None:
    with pytest.raises(ValueError, match="choose from DashboardReader, CommunityManager"):
        personas_named(text)


def test_every_persona_is_a_user_class_of_the_locustfile() -> None:
    from api.loadtest import LOCUSTFILE

    source = LOCUSTFILE.read_text(encoding="utf-8")
    for persona in PERSONAS:
        assert f"class {persona}(GraphQLUser):" in source
