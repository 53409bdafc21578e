"""Data access in JavaScript/TypeScript: tenant tables from schemas and models, and the queries on them."""
