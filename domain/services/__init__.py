"""Use cases: what the API, the CLI and the simulator's writer ask the domain to do."""
