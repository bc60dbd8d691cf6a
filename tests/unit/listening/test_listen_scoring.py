"""VADER scoring, kind inference and keyword topic tagging on hand-made examples."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.listening.enums import MentionKind, SentimentLabel
from domain.listening.scoring import infer_kind, sentiment_label, sentiment_score, tag_topics


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I love this product, the support team is amazing!", SentimentLabel.POSITIVE),
        ("Great update, thanks :)", SentimentLabel.POSITIVE),
        ("This is the worst service ever. Totally broken and useless.", SentimentLabel.NEGATIVE),
        ("My invoice is wrong again, I am so angry", SentimentLabel.NEGATIVE),
        ("The store opens at nine.", SentimentLabel.NEUTRAL),
    ],
)
def test_vader_scores_hand_examples_in_the_expected_band(text: str, label: SentimentLabel) -> None:
    assert sentiment_label(sentiment_score(text)) is label


def test_vader_hears_intensity_negation_and_emphasis() -> None:
    good = sentiment_score("The app is good")
    assert sentiment_score("The app is VERY GOOD!!!") > good
    assert sentiment_score("The app is not good") < 0 < good


def test_the_neutral_band_is_the_kpi_band_of_five_hundredths() -> None:
    assert sentiment_label(0.05) is SentimentLabel.NEUTRAL
    assert sentiment_label(0.0501) is SentimentLabel.POSITIVE
    assert sentiment_label(-0.05) is SentimentLabel.NEUTRAL
    assert sentiment_label(-0.0501) is SentimentLabel.NEGATIVE


@given(st.text(max_size=300))
def test_every_score_lies_between_minus_one_and_one(text: str) -> None:
    assert -1.0 <= sentiment_score(text) <= 1.0


@pytest.mark.parametrize(
    ("text", "score", "kind"),
    [
        ("Your billing is a disaster", -0.6, MentionKind.COMPLAINT),
        ("Why was I charged twice?", -0.6, MentionKind.COMPLAINT),
        ("How do I export my data?", 0.0, MentionKind.QUESTION),
        ("can you add dark mode", 0.0, MentionKind.QUESTION),
        ("Best support team ever", 0.8, MentionKind.PRAISE),
        ("Saw the ad on the bus", 0.0, MentionKind.OTHER),
    ],
)
def test_the_kind_comes_from_sentiment_and_question_form(
    text: str, score: float, kind: MentionKind
) -> None:
    assert infer_kind(text, score) is kind


@dataclass
class FakeTopic:
    id: int | None
    keywords: list[str] = field(default_factory=list)


TOPICS = [
    FakeTopic(1, ["billing", "invoice"]),
    FakeTopic(2, ["dark mode"]),
    FakeTopic(3, ["bill"]),
    FakeTopic(4, []),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My INVOICE is wrong", [1]),
        ("Please add #billing export and Dark   Mode", [1, 2]),
        ("dark-mode please", []),
        ("the bill, again", [3]),
        ("a billion users", []),
        ("nothing relevant", []),
    ],
)
def test_topics_are_tagged_on_whole_keywords_ignoring_case(text: str, expected: list[int]) -> None:
    assert tag_topics(text, TOPICS) == expected


def test_keywords_with_regex_characters_match_literally() -> None:
    topics = [FakeTopic(9, ["c++", "a.b"])]
    assert tag_topics("I write C++ daily", topics) == [9]
    assert tag_topics("axb", topics) == []
