"""Limits written in prose only: a schema field whose description states a maximum its code does not enforce.

One policy for both languages: the words that state a bound (``maximum 10``, ``at most 5``, ``up to 100``).
"""

from __future__ import annotations

import re

PROSE_BOUND = re.compile(r"\b(?:max(?:imum)?|at most|up to|no more than|not (?:more|greater) than|not exceed\w*|"
                         r"less than|limit(?:ed)? to)\b\W{0,3}\d", re.IGNORECASE)
