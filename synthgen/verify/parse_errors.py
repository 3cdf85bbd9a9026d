"""Exceptions of the answer parser, each mapped to a Verdict reason by the worker."""


class ParseError(ValueError):
    """The answer is not in the accepted syntax: reason "unparseable"."""

    reason = "unparseable"


class LimitError(ParseError):
    """The answer breaks a size limit (huge power, factorial, too many nodes): reason "too_long"."""

    reason = "too_long"


class BadGold(ValueError):
    """The row's own verification or gold cannot be used: reason "bad_gold" (a generator bug)."""

    reason = "bad_gold"
