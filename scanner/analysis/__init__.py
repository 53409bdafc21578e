"""Project-level models built from parsed code (routes, data models, agent tools) for code detectors."""
