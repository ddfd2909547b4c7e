"""Cookie names and name patterns.

A declared name is either exact (``sessionid``) or a pattern in which ``*`` stands for any
run of characters (``_ga_*``, ``_pk_id.*``); every other character is literal. Cookie names
are RFC 6265 tokens, so ``*`` is the only character we can give a meaning of our own.
"""

from __future__ import annotations

import re

WILDCARD = "*"

# RFC 6265 cookie-name = token (RFC 2616): visible ASCII except separators.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def is_pattern(name: str) -> bool:
    return WILDCARD in name


def is_valid_name(name: str) -> bool:
    return _TOKEN.fullmatch(name) is not None


def pattern_to_regex(pattern: str) -> str:
    """The regular expression, without anchors, that matches what ``pattern`` declares."""
    return ".*".join(re.escape(part) for part in pattern.split(WILDCARD))


def matches(pattern: str, name: str) -> bool:
    return re.fullmatch(pattern_to_regex(pattern), name) is not None
