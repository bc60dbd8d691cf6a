"""Simulation runs requested over the API: their rows, status, progress and summaries.

The domain stores and moves runs through their states; it never runs the simulator (the API
layer does, and reports back through `SimulationLedger`).
"""
