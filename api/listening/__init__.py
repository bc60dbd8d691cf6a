"""Listening: mentions and the inbox, escalations, snowball alerts, and their live updates."""
