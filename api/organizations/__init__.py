"""The caller's organization, its topics, and the viewer."""
