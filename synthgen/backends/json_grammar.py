"""JSON schema -> GBNF grammar, for grammar-constrained structured output.

We write our own converter for the small schema subset synthgen uses instead of llama-cpp-python's
`json_schema_to_gbnf`, for two measured reasons (shared/reference/llamacpp.md §3):
- its string `char` rule admits raw control characters (a newline inside a JSON string), so about
  1 output in 16 failed `json.loads`; ours excludes \\x00-\\x1F as llama.cpp's C++ converter does;
- it expands `maxLength: 300` into 300 nested optional groups, a grammar of hundreds of KB; we use
  GBNF's native bounded repetition `char{0,300}`.
Supported: object (properties in declared order, all emitted), string (min/maxLength, enum,
const), integer (minimum/maximum), number, boolean, array (items, min/maxItems), and
non-recursive `$ref`/`$defs` as pydantic emits them. Keywords we cannot express (pattern,
format, anyOf, ...) and recursive schemas raise ValueError, so a schema is never silently
ignored. Integer bounds are exact for ranges of up to 1,000 values and for minimum 0 or 1;
wider bounds are a superset in the grammar and enforced when the caller validates the parsed
JSON with its pydantic model (a failure there counts as a parse failure and is retried).
"""

from __future__ import annotations

import json
import re

_CHAR = r'[^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})'
_BASE_RULES = {
    # Like llama.cpp's own converter: a space, or a newline and some indentation. Small models
    # like to pretty-print, and a forbidden newline was the most frequent grammar rejection.
    "space": '| " " | "\\n" [ \\t]{0,20}',
    "char": _CHAR,
    "string": '"\\"" char* "\\"" space',
    "integer": '("-"? ([0-9] | [1-9] [0-9]{0,15})) space',
    "number": '("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,4})? space',
    "boolean": '("true" | "false") space',
}


def _literal(value: str) -> str:
    """GBNF literal for the JSON encoding of `value` (a quoted JSON string, itself quoted)."""
    return json.dumps(json.dumps(value))


_UNSUPPORTED = ("pattern", "format", "anyOf", "oneOf", "allOf", "not", "if", "patternProperties")
_MAX_ENUMERATED_INTS = 1000


def _integer_rule(lo: int | None, hi: int | None) -> str:
    if lo is not None and hi is not None and lo <= hi and hi - lo <= _MAX_ENUMERATED_INTS:
        values = [str(v) for v in range(lo, hi + 1)]
        return "(" + " | ".join(json.dumps(v) for v in values) + ") space"
    if lo is not None and lo >= 1:
        return "([1-9] [0-9]{0,15}) space"
    if lo is not None and lo >= 0:
        return "([0-9] | [1-9] [0-9]{0,15}) space"
    return "integer"


def schema_to_gbnf(schema: dict) -> str:
    """Return a GBNF grammar whose language is JSON documents valid against `schema`."""
    rules: dict[str, str] = {}
    defs = schema.get("$defs", {})

    def name_for(hint: str) -> str:
        base = re.sub(r"[^a-zA-Z0-9-]+", "-", hint).strip("-").lower() or "r"
        name, i = base, 1
        while name in rules or name in _BASE_RULES:
            i += 1
            name = f"{base}{i}"
        return name

    active_refs: list[str] = []

    def visit(node: dict, hint: str) -> str:
        if "$ref" in node:
            ref = node["$ref"].split("/")[-1]
            if ref in active_refs:
                raise ValueError(f"unsupported JSON schema: recursive reference to {ref}")
            active_refs.append(ref)
            try:
                return visit(defs[ref], ref)
            finally:
                active_refs.pop()
        bad = [k for k in _UNSUPPORTED if k in node]
        if bad:
            raise ValueError(f"unsupported JSON schema keyword(s) {bad} in {json.dumps(node)[:120]}")
        kind = node.get("type")
        if "const" in node:
            return f"{json.dumps(json.dumps(node['const']))} space"
        if "enum" in node:
            return "(" + " | ".join(_literal(v) for v in node["enum"]) + ") space"
        if kind == "object":
            props = node.get("properties", {})
            parts = []
            for i, (key, sub) in enumerate(props.items()):
                sep = '"," space ' if i else ""
                parts.append(f'{sep}{_literal(key)} space ":" space {visit(sub, hint + "-" + key)}')
            name = name_for(hint)
            rules[name] = '"{" space ' + " ".join(parts) + ' "}" space'
            return name
        if kind == "string":
            lo, hi = node.get("minLength", 0), node.get("maxLength")
            if lo == 0 and hi is None:
                return "string"
            name = name_for(hint)
            rules[name] = f'"\\"" char{{{lo},{"" if hi is None else hi}}} "\\"" space'
            return name
        if kind == "integer":
            lo, hi = node.get("minimum"), node.get("maximum")
            if "exclusiveMinimum" in node:
                lo = node["exclusiveMinimum"] + 1
            if "exclusiveMaximum" in node:
                hi = node["exclusiveMaximum"] - 1
            return _integer_rule(lo, hi)
        if kind in ("number", "boolean"):
            return kind
        if kind == "array":
            item = visit(node.get("items", {"type": "string"}), hint + "-item")
            lo, hi = node.get("minItems", 0), node.get("maxItems")
            name = name_for(hint)
            if hi == 0:
                rules[name] = '"[" space "]" space'
            elif lo == 0:
                tail = f'("," space {item}){{0,{"" if hi is None else hi - 1}}}'
                rules[name] = f'"[" space ({item} {tail})? "]" space'
            else:
                tail = f'("," space {item}){{{lo - 1},{"" if hi is None else hi - 1}}}'
                rules[name] = f'"[" space {item} {tail} "]" space'
            return name
        raise ValueError(f"unsupported JSON schema node for grammar: {json.dumps(node)[:120]}")

    root = visit(schema, "root")
    lines = [f"root ::= {root}"] if root != "root" else []
    lines += [f"{k} ::= {v}" for k, v in rules.items()]
    lines += [f"{k} ::= {v}" for k, v in _BASE_RULES.items()]
    return "\n".join(lines) + "\n"


def load_reply(text: str, *, strict: bool = False) -> object:
    """Decode a model's JSON reply; ValueError for anything a caller cannot use as its value.

    The grammar guarantees the shape, not the content: it lets a model write `\\ud800` escapes
    (a lone surrogate that no UTF-8 file can hold, so a row carrying it breaks the Parquet
    writer) and a reply from a server that ignores the grammar may nest arrays deeper than the
    decoder's recursion limit. Both are unusable replies, so both become ValueError here, the
    one exception the structured-output parsers already turn into "unparseable".
    """
    try:
        value = json.loads(text, strict=strict)
        json.dumps(value, ensure_ascii=False).encode("utf-8")  # UnicodeEncodeError (a ValueError): lone surrogate
    except RecursionError:
        raise ValueError("reply nested too deeply") from None
    return value
