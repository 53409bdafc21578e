"""Parsers shared by code detectors; each parses an artifact once and caches the tree on its Context."""
