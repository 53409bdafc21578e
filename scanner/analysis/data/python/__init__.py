"""Data access in Python: SQLAlchemy/SQLModel and Django models, ORM queries, raw SQL."""
