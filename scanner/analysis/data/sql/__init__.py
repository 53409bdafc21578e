"""SQL migrations read as a database: statements split (``lexer``), recognised (``statements``) and replayed in
file order into the schema a project ends with (``database``): tables and their row-level security and
policies, functions, views and the privileges granted on them. Regexes over comment-free statement text, no
SQL parser dependency: DDL in migrations is regular enough, and what is not recognised is simply skipped.
"""
