"""Repositories: every query of the domain, each scoped to one organization."""
