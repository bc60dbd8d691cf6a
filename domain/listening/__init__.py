"""Listening: mentions with sentiment and topics, the inbox, escalations and snowball alerts."""
