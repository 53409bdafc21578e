"""Data access: tenant-owned models and every query on them, with its predicates."""
