"""The window's questions and their first staff answer, as the metrics read them, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from domain.db import Database
from domain.entities import Content
from domain.enums import ContentKind, MembershipRole, Platform, Visibility
from domain.metrics.window import Window
from domain.repositories.metrics import MetricsRepository, Question, Scope
from domain.services.communities import CommunityDraft, CommunityService
from domain.services.content import ContentDraft, ContentService
from domain.services.members import MemberDraft, MemberService, MembershipDraft
from domain.services.organizations import OrganizationService
from domain.timeutil import as_utc, utcnow

ROLES = (
    MembershipRole.MEMBER,  # asks
    MembershipRole.MEMBER,  # answers, but is no staff
    MembershipRole.COMMUNITY_MANAGER,
    MembershipRole.MEMBER,  # staff of the other community only
)


async def test_a_question_counts_its_first_live_answer_by_staff_of_its_community(
    db: Database,
) -> None:
    async with db.session() as session:
        organization = await OrganizationService(session).create("questions", "Q")
        assert organization.id is not None
        org = organization.id
        communities = CommunityService(session, org)
        here = await communities.create(CommunityDraft("Here", Platform.FORUM, Visibility.PUBLIC))
        there = await communities.create(CommunityDraft("There", Platform.FORUM, Visibility.PUBLIC))
        assert here.id is not None
        assert there.id is not None
        members = MemberService(session, org)
        people = []
        for index, role in enumerate(ROLES):
            member = await members.create(MemberDraft(f"p{index}", "P"))
            assert member.id is not None
            await members.join(MembershipDraft(here.id, member.id, role))
            people.append(member.id)
        await members.join(MembershipDraft(there.id, people[3], MembershipRole.MODERATOR))
        content = ContentService(session, org)

        async def say(kind: ContentKind, who: int, parent: int | None = None) -> Content:
            draft = ContentDraft(here.id, kind, "text", author_id=people[who], parent_id=parent)  # type: ignore[arg-type]
            return await content.publish(draft)

        answered = await say(ContentKind.QUESTION, 0)
        await say(ContentKind.ANSWER, 1, answered.id)  # a member's answer does not count
        await say(ContentKind.ANSWER, 3, answered.id)  # nor another community's staff's
        first = await say(ContentKind.ANSWER, 2, answered.id)
        await say(ContentKind.ANSWER, 2, answered.id)
        unanswered = await say(ContentKind.QUESTION, 0)
        withdrawn = await say(ContentKind.ANSWER, 2, unanswered.id)
        await content.delete(withdrawn.id)  # type: ignore[arg-type]
        today = utcnow().date()

        for scope, key in ((Scope.COMMUNITY, here.id), (Scope.ORGANIZATION, org)):
            found = await MetricsRepository(session, org).questions(
                scope, [key], Window(today - timedelta(days=6), today)
            )
            assert sorted(found[key], key=lambda q: q.asked) == [
                Question(as_utc(answered.published_at), as_utc(first.published_at)),  # type: ignore[arg-type]
                Question(as_utc(unanswered.published_at), None),  # type: ignore[arg-type]
            ]
        earlier = Window(today - timedelta(days=9), today - timedelta(days=3))
        assert (
            await MetricsRepository(session, org).questions(Scope.COMMUNITY, [here.id], earlier)
            == {}
        )
