"""Townsquare's domain: entities, value objects, KPI formulas, services and repositories."""
