"""Communities: where conversations happen."""
