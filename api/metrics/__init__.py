"""The metrics area: KPI summaries and series of communities and organizations."""
