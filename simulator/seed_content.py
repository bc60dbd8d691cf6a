"""Content rows of a simulated community: threads, kinds, text and times from the event log.

Used by `simulator.seeding`. Post ids of a run are 0..n-1 in creation order, so a comment's
parent always comes before it, as the writer requires. Complaints (negative mentions) become
posts in their author's home community, with the brand's answer as a reply when the run
answered them within the horizon.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from domain.demo import Row, TextPool, content_row, sentences
from domain.enums import ContentKind
from simulator.result import Events
from simulator.scenario import Scenario

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
DAY = 86_400.0
QUESTION_SHARE = 0.3
"""Share of members' top-level posts written as questions (assumption)."""
ANSWER_SHARE = 0.7
"""Share of comments under a question written as answers (assumption)."""
ARTICLE_QUALITY = 0.75
"""Brand posts at least this good are articles, the rest announcements (assumption)."""


@dataclass(frozen=True)
class Timeline:
    """The simulated horizon: `days` days ending at `end_time` (naive UTC)."""

    end_time: datetime
    days: int

    @property
    def start(self) -> datetime:
        return self.end_time - timedelta(days=self.days)

    @property
    def end(self) -> float:
        """The end, in seconds from the start."""
        return self.days * DAY

    def datetimes(self, seconds: F64) -> list[datetime]:
        """Naive UTC datetimes `seconds` after the start (never after the end)."""
        base = np.datetime64(self.start, "us")
        offsets = np.round(np.minimum(seconds, self.end) * 1e6).astype("timedelta64[us]")
        stamps: list[datetime] = (base + offsets).tolist()
        return stamps


@dataclass
class _Touches:
    member: list[I64] = field(default_factory=list)
    community: list[I64] = field(default_factory=list)
    day: list[F64] = field(default_factory=list)


class ContentMaker:
    """Builds content rows and remembers where each member was active, for memberships."""

    def __init__(
        self,
        rng: np.random.Generator,
        text: TextPool,
        scenario: Scenario,
        timeline: Timeline,
        communities: int,
        member_index: I64,
        home_topic: I64,
    ) -> None:
        self.rng, self.text, self.timeline = rng, text, timeline
        self.topics = [t.name.replace("-", " ") for t in scenario.topics]
        self.communities = communities
        self.topic_community = np.arange(len(self.topics), dtype=np.int64) % communities
        self.member_index = member_index
        self.home = self.topic_community[home_topic]
        self.touches = _Touches()
        members = np.arange(home_topic.size, dtype=np.int64)
        self.touch(members, self.home, np.full(members.size, -1.0))
        self.post_seconds = np.empty(0)
        self.post_row = np.empty(0, dtype=np.int64)
        self.community_of_row = np.empty(0, dtype=np.int64)

    def touch(self, member: I64, community: I64, day: F64) -> None:
        """Record that `member` was active in `community` on `day` (-1: just belongs)."""
        self.touches.member.append(member.astype(np.int64))
        self.touches.community.append(community.astype(np.int64))
        self.touches.day.append(day.astype(np.float64))

    def touched_pairs(self) -> I64:
        member = np.concatenate(self.touches.member)
        pairs: I64 = member * self.communities + np.concatenate(self.touches.community)
        return pairs

    def last_active_day(self) -> F64:
        last = np.full(self.home.size, -1.0)
        np.maximum.at(last, np.concatenate(self.touches.member), np.concatenate(self.touches.day))
        return last

    def activity(self) -> F64:
        member = np.concatenate(self.touches.member)
        active = np.concatenate(self.touches.day) >= 0
        counts: F64 = np.bincount(member[active], minlength=self.home.size).astype(np.float64)
        return counts

    def _times(self, day: F64, after: F64) -> F64:
        start = np.maximum(day * DAY, after)
        times: F64 = start + self.rng.random(day.size) * (day * DAY + DAY - start)
        return times

    def contents(self, events: Events) -> tuple[list[Row], list[Row]]:
        """Content rows (parents first) and their topics, from every simulated post."""
        order = np.argsort(events.post_id, kind="stable")
        post_id = events.post_id[order]
        if not np.array_equal(post_id, np.arange(post_id.size)):
            raise ValueError("the run's post ids are not 0..n-1")
        author = events.post_author[order].astype(np.int64)
        parent = events.post_parent[order].astype(np.int64)
        topic = events.post_topic[order].astype(np.int64)
        day = events.post_day[order].astype(np.float64)
        top = parent < 0
        root = np.where(top, post_id, parent)
        community = self.topic_community[topic[root]]
        seconds = self._times(day, np.full(day.size, -np.inf))
        # A comment comes after its post, within the day the simulation wrote it.
        seconds[~top] = self._times(day[~top], seconds[parent[~top]])
        self.post_seconds = seconds
        kinds = self._kinds(author, parent, events.post_quality[order])
        member = np.where(author >= 0, self.member_index[np.maximum(author, 0)], -1)
        writers = member >= 0
        self.touch(member[writers], community[writers], day[writers])
        rows = self._rows(
            member,
            parent,
            kinds,
            topic,
            community,
            seconds,
            events.post_sentiment[order],
            events.post_quality[order],
        )
        complaint_rows, complaint_topics = self._complaints(events, len(rows))
        self.post_row = post_id
        self.community_of_row = np.array(
            [row["community_id"] for row in rows + complaint_rows], dtype=np.int64
        )
        topics = [{"content_id": i, "topic_id": int(topic[i])} for i in np.nonzero(top)[0]]
        return rows + complaint_rows, topics + complaint_topics

    def _kinds(self, author: I64, parent: I64, quality: npt.NDArray[np.float32]) -> list[str]:
        top, brand = parent < 0, author < 0
        question = top & ~brand & (self.rng.random(author.size) < QUESTION_SHARE)
        on_question = ~top & question[np.maximum(parent, 0)]
        answer = on_question & (self.rng.random(author.size) < ANSWER_SHARE)
        on_brand = ~top & brand[np.maximum(parent, 0)]
        kind = np.select(
            [top & brand & (quality >= ARTICLE_QUALITY), top & brand, question, top, answer,
             on_question | on_brand],
            [ContentKind.ARTICLE, ContentKind.ANNOUNCEMENT, ContentKind.QUESTION,
             ContentKind.POST, ContentKind.ANSWER, ContentKind.COMMENT],
            ContentKind.REPLY,
        )  # fmt: skip
        return [str(k) for k in kind.tolist()]

    def _title(self, kind: str, topic: str, pick: int) -> str:
        title = self.text.titles[pick]
        if kind == ContentKind.QUESTION:
            return f"{title}: any advice on {topic}?"
        if kind in (ContentKind.ARTICLE, ContentKind.ANNOUNCEMENT):
            return f"{topic.capitalize()}: {title}"
        return f"{title} ({topic})"

    def _rows(
        self,
        member: I64,
        parent: I64,
        kinds: list[str],
        topic: I64,
        community: I64,
        seconds: F64,
        sentiment: npt.NDArray[np.float32],
        quality: npt.NDArray[np.float32],
    ) -> list[Row]:
        top = parent < 0
        bodies = sentences(self.rng, self.text, 1, 4, member.size)
        picks = self.rng.integers(0, len(self.text.titles), size=member.size).tolist()
        created = self.timeline.datetimes(seconds)
        replies = np.bincount(parent[~top], minlength=member.size).tolist()
        rows = []
        for i, (m, p, t, c) in enumerate(
            zip(member.tolist(), parent.tolist(), topic.tolist(), community.tolist(), strict=True)
        ):
            rows.append(
                content_row(
                    community=c,
                    author=None if m < 0 else m,
                    parent=None if p < 0 else p,
                    kind=ContentKind(kinds[i]),
                    title=self._title(kinds[i], self.topics[t], picks[i]) if p < 0 else "",
                    body=bodies[i],
                    sentiment=float(sentiment[i]),
                    quality=float(quality[i]),
                    created=created[i],
                    replies=replies[i],
                )
            )
        return rows

    def _complaints(self, events: Events, first: int) -> tuple[list[Row], list[Row]]:
        negative = np.nonzero(events.mention_sentiment < 0)[0]
        member = self.member_index[events.mention_member[negative].astype(np.int64)]
        day = events.mention_day[negative].astype(np.float64)
        topic = events.mention_topic[negative].astype(np.int64)
        community = self.home[member]
        self.touch(member, community, day)
        seconds = self._times(day, np.full(day.size, -np.inf))
        answer_at = seconds + np.nan_to_num(events.mention_response_seconds[negative], nan=np.inf)
        answered = events.mention_answered[negative] & (answer_at <= self.timeline.end)
        bodies = sentences(self.rng, self.text, 1, 3, negative.size)
        created = self.timeline.datetimes(seconds)
        answered_at = self.timeline.datetimes(np.where(answered, answer_at, 0.0))
        picks = self.rng.integers(0, len(self.text.titles), size=negative.size).tolist()
        rows: list[Row] = []
        topics: list[Row] = []
        for i in range(negative.size):
            at, name = first + len(rows), self.topics[int(topic[i])]
            title = f"Problem with {name}: {self.text.titles[picks[i]]}"
            rows.append(
                content_row(
                    community=int(community[i]), author=int(member[i]), parent=None,
                    kind=ContentKind.POST, title=title,
                    body=bodies[i], sentiment=float(events.mention_sentiment[negative[i]]),
                    quality=0.3, created=created[i], replies=int(answered[i]),
                )
            )  # fmt: skip
            topics.append({"content_id": at, "topic_id": int(topic[i])})
            if answered[i]:
                rows.append(
                    content_row(
                        community=int(community[i]), author=None, parent=at,
                        kind=ContentKind.REPLY, title="",
                        body=f"Sorry about the trouble with {name}; we are on it.",
                        sentiment=0.3, quality=0.7, created=answered_at[i], replies=0,
                    )
                )  # fmt: skip
        return rows, topics
