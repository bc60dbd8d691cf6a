"""Idempotency keys: the first response to a key is stored and replayed for its repeats."""
