"""How varied the kept rows are: distinct-2 of the instructions and the most common topics or families.

A synthetic set can pass every gate and still say the same few things; two cheap figures let a
reader of the card see that before training. Distinct-2 is the number of distinct word bigrams
over all word bigrams of the instructions (words: lower-cased `\\w+` runs; bigrams never cross
from one text to the next), the measure of Li et al. (2016). The top values of a category column
(`topic`, `family`) show how the rows spread. Both are computed from exactly the rows written to
Parquet (`RunSession.write_data`), stored in `manifest["diversity"]` and shown from there.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

_WORD = re.compile(r"\w+")
TOP = 10


@dataclass(frozen=True)
class DiversitySpec:
    """What a kind measures: `texts(row)` gives a row's instruction texts, `column` its category column."""

    label: str  # what the texts are, for the card: "user turns", "questions"
    texts: Callable[[dict[str, Any]], list[str]]
    column: str | None = None


def user_turns(messages: Iterable[dict[str, Any]]) -> list[str]:
    """The user turns of a conversation column (SFT `messages`, DPO `prompt`)."""
    return [m["content"] for m in messages if m.get("role") == "user"]


def bigram_counts(texts: Iterable[str]) -> tuple[int, int]:
    """(distinct word bigrams, all word bigrams) over `texts`."""
    seen: set[tuple[str, str]] = set()
    total = 0
    for text in texts:
        words = _WORD.findall(text.lower())
        pairs = list(zip(words, words[1:], strict=False))
        total += len(pairs)
        seen.update(pairs)
    return len(seen), total


def measure(rows: list[dict[str, Any]], spec: DiversitySpec) -> dict[str, Any]:
    """The manifest's `diversity` block for the rows written."""
    texts = [text for row in rows for text in spec.texts(row)]
    distinct, total = bigram_counts(texts)
    out: dict[str, Any] = {
        "texts": spec.label,
        "rows": len(rows),
        "bigrams": total,
        "distinct_bigrams": distinct,
        "distinct_2": round(distinct / total, 4) if total else None,
    }
    if spec.column:
        values = Counter(row.get(spec.column) for row in rows if row.get(spec.column) is not None)
        top = sorted(values.items(), key=lambda kv: (-kv[1], str(kv[0])))[:TOP]
        out |= {
            "column": spec.column,
            "distinct_values": len(values),
            "rows_without": len(rows) - sum(values.values()),
            "top": [{"value": v, "rows": n} for v, n in top],
        }
    return out


def diversity_section(manifest: dict[str, Any]) -> str:
    """The card paragraph; before the data is written it says when the figures appear."""
    div = manifest.get("diversity")
    if not div:
        return "Computed from the kept rows when the data is written; this run has not written it yet."
    ratio = "n/a (no bigrams)" if div.get("distinct_2") is None else f"**{div['distinct_2']:.4f}**"
    text = (
        f"Distinct-2 of the {div['texts']}: {ratio} ({div['distinct_bigrams']:,} distinct of {div['bigrams']:,} "
        f"word bigrams over {div['rows']:,} rows; words are lower-cased `\\w+` runs, bigrams stay within one text)."
    )
    if div.get("column"):
        lines = "".join(
            f"\n| `{t['value']}` | {t['rows']} | {100 * t['rows'] / max(1, div['rows']):.1f} % |" for t in div["top"]
        )
        text += (
            f"\n\nMost common `{div['column']}` values ({div['distinct_values']} distinct):\n\n"
            f"| {div['column']} | rows | share |\n|---|---|---|{lines}"
        )
        if div.get("rows_without"):
            n = div["rows_without"]
            text += f"\n\n{n} {'row has' if n == 1 else 'rows have'} no `{div['column']}` (null)."
    return text
