"""Live updates: committed domain events fanned out to GraphQL subscriptions.

`bridge` turns the database's committed events into `LiveEvent`s and hands them to a
`Broadcaster`: in-process (`broadcast.LocalBroadcaster`) by default, Redis pub/sub
(`redis_broadcast.RedisBroadcaster`, a channel per organization) when TOWNSQUARE_REDIS_URL is
set, so that an event raised in one worker reaches subscribers on every worker. `context`
holds a websocket connection's caller, and `streams` turns an organization's events into the
nodes a subscription field yields.
"""
