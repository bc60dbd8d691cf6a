"""Signed webhooks: subscriptions, the delivery log, the outbox dispatcher and the sender."""
