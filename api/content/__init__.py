"""Content, its threads and topics, and the engagement it draws."""
