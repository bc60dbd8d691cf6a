"""Reading a mention: VADER sentiment, a kind (complaint, question, praise) and topic tags.

VADER (Hutto and Gilbert, 2014) is a lexicon and rule based analyser tuned for social media; its
lexicon ships inside the `vaderSentiment` wheel, so scoring needs no network and no model file.
Its compound score lies in [-1, 1]; scores within the neutral band are neutral, the same band the
net-sentiment KPI uses (domain/metrics/sentiment.py), so the inbox and the KPI agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import Protocol

from domain.listening.enums import MentionKind, SentimentLabel
from domain.metrics.sentiment import NEUTRAL_BAND


class _Analyser(Protocol):
    def polarity_scores(self, text: str) -> dict[str, float]: ...


@cache
def _analyser() -> _Analyser:
    # Loading the lexicon takes a few milliseconds; once per process is enough.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser: _Analyser = SentimentIntensityAnalyzer()
    return analyser


def sentiment_score(text: str) -> float:
    """VADER's compound score of `text`, in [-1, 1]."""
    return float(_analyser().polarity_scores(text)["compound"])


def sentiment_label(score: float) -> SentimentLabel:
    if score > NEUTRAL_BAND:
        return SentimentLabel.POSITIVE
    if score < -NEUTRAL_BAND:
        return SentimentLabel.NEGATIVE
    return SentimentLabel.NEUTRAL


# A question asks (a question mark, or an opening interrogative); checked before sentiment,
# because "why is my bill wrong?" needs an answer more than it needs a label.
_QUESTION = re.compile(
    r"\?|^\s*(how|what|why|when|where|who|which|can|could|does|do|is|are|should)\b", re.I
)


def infer_kind(text: str, score: float) -> MentionKind:
    """What a mention most likely is, when its sender did not say."""
    label = sentiment_label(score)
    if label is SentimentLabel.NEGATIVE:
        return MentionKind.COMPLAINT
    if _QUESTION.search(text):
        return MentionKind.QUESTION
    if label is SentimentLabel.POSITIVE:
        return MentionKind.PRAISE
    return MentionKind.OTHER


@lru_cache(maxsize=4096)
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    # Whole words or phrases only: "bill" must not tag "billion"; "#billing" still matches.
    words = r"\s+".join(re.escape(w) for w in keyword.split())
    return re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE)


class TopicKeywords(Protocol):
    id: int | None
    keywords: list[str]


def tag_topics(text: str, topics: Iterable[TopicKeywords]) -> list[int]:
    """Ids of the topics one of whose keywords occurs in `text`, in the topics' order."""
    found: list[int] = []
    for topic in topics:
        if topic.id is None:
            continue
        if any(k.strip() and _keyword_pattern(k.strip()).search(text) for k in topic.keywords):
            found.append(topic.id)
    return found
