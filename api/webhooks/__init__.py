"""Webhooks: subscriptions of URLs to events, and their delivery log."""
