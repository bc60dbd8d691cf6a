"""The GraphQL operations the load-test personas send, each under its operation name.

The names are what Locust reports and what the server's metrics and access log label, so a
slow line in a Locust report can be found in `/metrics` and in the server's log.
"""

from __future__ import annotations

SEED_IDS = """query LoadtestSeedIds {
  communities(first: 20) {
    nodes { id content(first: 20, filter: {topLevelOnly: true}) { nodes { id } } }
  }
  members(first: 100) { nodes { id } }
}"""

COMMUNITY_LIST = """query CommunityList {
  communities(first: 20, orderBy: {field: NAME, direction: ASC}) {
    totalCount
    nodes {
      id name platform
      memberships(first: 5) { totalCount nodes { role member { handle followersCount } } }
      content(first: 5) { totalCount nodes { id title replyCount } }
    }
  }
}"""

THREAD = """query Thread($id: ID!) {
  node(id: $id) {
    ... on Content {
      id title body replyCount
      author { id handle }
      replies(first: 50) { totalCount nodes { id body createdAt author { id handle } } }
    }
  }
}"""

COMMUNITY_FEED = """query CommunityFeed($id: ID!, $after: String) {
  node(id: $id) {
    ... on Community {
      id name
      content(first: 20, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { id title replyCount author { handle } }
      }
    }
  }
}"""

PUBLISH = """mutation ContentPublish($input: ContentPublishInput!) {
  contentPublish(input: $input) { content { id } userErrors { field message code } }
}"""

INGEST = """mutation EngagementsIngest($input: EngagementsIngestInput!) {
  engagementsIngest(input: $input) { ingestedCount userErrors { field message code } }
}"""

DASHBOARD = """query Dashboard($window: MetricsWindowInput!) {
  communities(first: 20) {
    nodes {
      id name
      metrics(window: $window) {
        summary { audienceSize activeMembers engagementRate netSentiment }
      }
      influencers(first: 5) { rank score member { id handle } }
    }
  }
}"""

INBOX = """query Inbox {
  mentions(first: 50) {
    nodes {
      id text sentiment
      author { id handle }
      escalation { id status priority assignee { id handle } }
    }
  }
}"""
