"""Campaigns: planning toward a KPI objective, content approval, the calendar."""
