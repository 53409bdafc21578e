"""Project-level analysis of parsed code: facts that code detectors share across files."""
