"""Cookie names and name patterns.

A declared name is either exact (``sessionid``) or a pattern in which ``*`` stands for any
run of characters (``_ga_*``, ``_pk_id.*``); every other character is literal. Cookie names
are RFC 6265 tokens, so ``*`` is the only character we can give a meaning of our own.
"""

from __future__ import annotations

import re
from collections.abc import Container

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


def cookie_name(crumb: str) -> str:
    """The name Django's ``parse_cookie`` reads in one crumb of a ``Cookie`` header."""
    # A crumb without "=" is a value with an empty name to Django.
    return crumb.split("=", 1)[0].strip() if "=" in crumb else ""


def set_cookie_name(line: str) -> str:
    """The name a browser stores a ``Set-Cookie`` line under (RFC 6265bis §5.6)."""
    pair = line.split(";", 1)[0]
    # A pair without "=" is a nameless cookie whose value is the pair.
    return pair.split("=", 1)[0].strip(" \t") if "=" in pair else ""


# In a Cookie header, a cookie's name, its text as sent and as Django reads it.
_Cookie = tuple[str, str, str]


def _crumb_cookies(sent: str, read: str) -> list[_Cookie]:
    """The cookies of one ``;`` crumb: the one Django reads, then those a comma hides.

    A proxy (or Django's own ASGI handler) that joins several ``Cookie`` headers with
    commas puts the later cookies inside the value of the one before: a part after a
    comma that starts with a name and "=" is taken for a cookie of its own. The commas
    of other values stay where they are.
    """
    sent_parts, read_parts = sent.split(","), read.split(",")
    starts = [0, *(i for i, part in enumerate(read_parts) if i and cookie_name(part))]
    return [
        (
            cookie_name(read_parts[start] if start else read),
            ",".join(sent_parts[start:end]),
            ",".join(read_parts[start:end]),
        )
        for start, end in zip(starts, [*starts[1:], len(read_parts)], strict=True)
    ]


def hidden_names(read: str) -> list[str]:
    """The names of the cookies that follow a comma in a ``Cookie`` header (see above)."""
    return [
        name
        for crumb in read.split(";")
        if "," in crumb
        for name, _, _ in _crumb_cookies(crumb, crumb)[1:]
    ]


def without(sent: str, read: str, refused: Container[str]) -> str:
    """The ``Cookie`` header ``sent`` without a cookie whose name is in ``refused``.

    ``read`` is the header as Django reads it: the same text for ASGI, its bytes decoded
    as UTF-8 for WSGI (where META keeps them as Latin-1). Both have their ";" and ","
    at the same places, so names are judged as Django reads them and the bytes kept are
    the ones sent.
    """
    kept = []
    for sent_crumb, read_crumb in zip(sent.split(";"), read.split(";"), strict=True):
        if "," in read_crumb:
            crumb = _joined_without(sent_crumb, read_crumb, refused)
        else:
            crumb = None if cookie_name(read_crumb) in refused else sent_crumb
        if crumb is not None:
            kept.append(crumb)
    # Only ASCII whitespace: the same bytes in both readings, and Django strips it anyway.
    return ";".join(kept).strip(" \t")


def _joined_without(sent: str, read: str, refused: Container[str]) -> str | None:
    """One crumb with commas, without its refused cookies; None when nothing is left."""
    cookies = _crumb_cookies(sent, read)
    left = [cookie for cookie in cookies if cookie[0] not in refused]
    if len(left) == len(cookies):
        return sent
    # A first name that spans a comma ("a, _ga=1" is one name to Django) would, cut,
    # read as a name nobody judged: drop the crumb whole.
    if not left or cookie_name(",".join(cookie[2] for cookie in left)) != left[0][0]:
        return None
    return ",".join(cookie[1] for cookie in left)
