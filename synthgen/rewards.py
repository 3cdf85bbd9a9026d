"""GRPO reward functions for synthgen math/logic rows, with TRL's reward-function contract.

    from synthgen.rewards import accuracy_reward, format_reward
    GRPOTrainer(..., reward_funcs=[accuracy_reward, format_reward], args=GRPOConfig(reward_weights=[1.0, 0.1]))

TRL calls `f(prompts=..., completions=..., completion_ids=..., **dataset_columns, trainer_state=...,
log_extra=..., log_metric=...)`; each column is a list aligned with completions. Completions are
strings or [{"role": "assistant", "content": ...}]. The answer is extracted here (cheap string
work) and checked in the sandboxed worker pool in ONE round trip per call, golds included.

Scores: 1.0 correct, 0.0 for wrong / unparseable / too long / timeout / no answer; None for a row
whose gold does not verify against itself (TRL then skips the row), with a loud warning, because
that is a generator bug and rewarding against a broken gold would train on noise.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter, OrderedDict
from typing import Any

from synthgen.verify.api import check_answers, load_verification
from synthgen.verify.extract import after_think, extract_answer
from synthgen.verify.verdict import Verdict

log = logging.getLogger("synthgen.rewards")

_GOLD_CACHE: OrderedDict[tuple[str, str], bool] = OrderedDict()  # (gold text, verification) -> verifies
_GOLD_CACHE_SIZE = 8192
_GOLD_LOCK = threading.Lock()


def completion_text(completion: Any) -> str:
    """The assistant text of a standard (str) or conversational (list of messages) completion."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        completion = [completion]
    if isinstance(completion, list):
        parts = []
        for message in completion:
            if not isinstance(message, dict) or message.get("role", "assistant") != "assistant":
                continue
            content = message.get("content")
            if isinstance(content, list):  # [{"type": "text", "text": ...}]
                content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
            if isinstance(content, str):
                parts.append(content)
        return "\n".join(parts)
    return ""


def _column(values: Any, n: int) -> list[Any]:
    if values is None:
        return [None] * n
    if isinstance(values, str | dict):
        return [values] * n
    values = list(values)
    return values if len(values) == n else [None] * n


def _strip_dollars(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    s = text.strip()
    return s[1:-1].strip() if len(s) >= 2 and s[0] == s[-1] == "$" else s


def _gold(answer: Any, verification: Any, solution: Any) -> tuple[str | None, dict | None]:
    """(gold text used for the self-check, verification dict); falls back to method "auto"."""
    gold_text = answer if isinstance(answer, str) and answer.strip() else _strip_dollars(solution)
    loaded = load_verification(verification)
    if loaded is None and verification is None and gold_text:
        loaded = {"method": "auto", "value": gold_text}
    return gold_text, loaded


def score_completions(
    completions: list[Any],
    answer: list[Any] | None = None,
    verification: list[Any] | None = None,
    solution: list[Any] | None = None,
    *,
    timeout: float = 5.0,
) -> list[Verdict | None]:
    """Verdict per completion (None where the gold does not verify): accuracy_reward's engine."""
    n = len(completions)
    answers, verifications, solutions = _column(answer, n), _column(verification, n), _column(solution, n)
    golds = [_gold(a, v, s) for a, v, s in zip(answers, verifications, solutions, strict=True)]
    keys = [(g or "", json.dumps(v, sort_keys=True, default=str)) for g, v in golds]
    with _GOLD_LOCK:
        unknown = sorted(
            {k for k, (g, v) in zip(keys, golds, strict=True) if g and v is not None and k not in _GOLD_CACHE}
        )
    items: list[tuple[str | None, dict | None]] = [(k[0] or None, json.loads(k[1])) for k in unknown]
    extracted = [extract_answer(completion_text(c)) for c in completions]
    asked = [i for i in range(n) if golds[i][1] is not None and extracted[i][0] is not None]
    items += [(extracted[i][0], golds[i][1]) for i in asked]
    verdicts = check_answers(items, timeout=timeout) if items else []
    gold_verdicts = dict(zip(unknown, verdicts[: len(unknown)], strict=True))
    with _GOLD_LOCK:
        for key, verdict in gold_verdicts.items():
            _GOLD_CACHE[key] = verdict.reason == "correct"
            if len(_GOLD_CACHE) > _GOLD_CACHE_SIZE:
                _GOLD_CACHE.popitem(last=False)
        # without a gold text there is nothing to self-check; the worker still flags a broken verification
        gold_ok = [golds[i][1] is not None and (not golds[i][0] or _GOLD_CACHE.get(keys[i], False)) for i in range(n)]
    for key, verdict in gold_verdicts.items():
        if verdict.reason != "correct":
            log.warning(
                "synthgen.rewards: GOLD DOES NOT VERIFY (%s: %s) for answer %r with verification %s; "
                "these rows score None. This is a dataset/generator bug: run `synthgen verify` on the dataset.",
                verdict.reason, verdict.detail, key[0][:80], key[1][:200],
            )  # fmt: skip
    if any(g[1] is None for g in golds):
        log.warning("synthgen.rewards: %d row(s) have no usable answer/verification/solution: scored None",
                    sum(g[1] is None for g in golds))  # fmt: skip
    out: list[Verdict | None] = []
    by_index = dict(zip(asked, verdicts[len(unknown) :], strict=True))
    for i in range(n):
        if not gold_ok[i]:
            out.append(None)
        elif i in by_index:
            out.append(None if by_index[i].reason == "bad_gold" else by_index[i])
        else:
            out.append(Verdict.of(extracted[i][1] or "no_answer"))  # type: ignore[arg-type]
    return out


def accuracy_reward(
    completions: list[Any], answer: list[Any] | None = None, verification: list[Any] | None = None,
    solution: list[Any] | None = None, **kwargs: Any,
) -> list[float | None]:  # fmt: skip
    """1.0 when the final answer verifies, else 0.0; None for rows with a broken gold.

    Reads the `verification` column when present; without it, the `answer` (else `solution`)
    column is compared as a number / set / expression inferred from its form. Logs reason shares
    through TRL's `log_metric` and a per-completion reason column through `log_extra` when given.
    """
    verdicts = score_completions(completions, answer, verification, solution)
    _log_reasons(verdicts, kwargs.get("log_metric"), kwargs.get("log_extra"))
    return [None if v is None else v.score for v in verdicts]


def _log_reasons(verdicts: list[Verdict | None], log_metric: Any, log_extra: Any) -> None:
    reasons = [v.reason if v is not None else "bad_gold" for v in verdicts]
    try:
        if callable(log_metric) and reasons:
            for reason, count in Counter(reasons).items():
                log_metric(f"synthgen/{reason}", count / len(reasons))
        if callable(log_extra):
            log_extra("synthgen_reason", reasons)
    except Exception:  # noqa: BLE001 - logging must never break a training step
        log.debug("synthgen.rewards: metric logging failed", exc_info=True)


def format_reward(completions: list[Any], **kwargs: Any) -> list[float]:
    """1.0 when the completion has exactly one balanced \\boxed{} after its reasoning, else 0.0.

    When a <think> block is used it must be single and closed. Meant as a small shaping term
    next to accuracy_reward (weight it down, e.g. reward_weights=[1.0, 0.1]).
    """
    scores = []
    for completion in completions:
        text = completion_text(completion)
        opens, closes = text.count("<think>"), text.count("</think>")
        think_ok = (opens, closes) in ((0, 0), (1, 1), (0, 1)) and (
            opens == 0 or text.find("<think>") < text.find("</think>")
        )
        final = after_think(text)
        boxes = final.count("\\boxed")
        content, reason = extract_answer(final)
        scores.append(1.0 if think_ok and boxes == 1 and content and reason == "" else 0.0)
    return scores
