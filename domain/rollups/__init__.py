"""Rollups: derived tables kept current by every write, so metrics never scan raw engagement.

`tables` holds the rows, `daily` adds a write's contribution in the writer's own transaction,
`weights` values an engagement, `rebuild` recomputes everything from raw rows.
"""
