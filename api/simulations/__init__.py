"""Strategy experiments over the API: `simulationRun`, `simulations`, `simulationProgress`.

The domain stores runs (domain.simulations); this package checks requests against the
simulator's catalogue and runs them in the background (`runner`), one at a time per server.
"""
