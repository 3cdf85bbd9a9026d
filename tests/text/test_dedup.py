"""Tests for synthgen.text.dedup: normalisation, shingles, Jaccard and the streaming duplicate index."""

from __future__ import annotations

import itertools
import random

import pytest

from synthgen.text.dedup import NearDuplicateIndex, jaccard, normalise, shingles

BASE = (
    "Explain how photosynthesis converts sunlight, water and carbon dioxide into glucose and oxygen "
    "inside the chloroplasts of green plant leaves during the day."
)
REPLACEMENTS = (
    "quickly describe why rivers erode mountain valleys slowly over thousands of years with heavy "
    "seasonal floods and storms"
).split()


def _variants(base: str, count: int, seed: int) -> list[str]:
    """Texts derived from `base` by substituting 0..12 words or editing a few characters."""
    rng = random.Random(seed)
    words = base.split()
    out = []
    for _ in range(count):
        w = list(words)
        if rng.random() < 0.5:
            for pos in rng.sample(range(len(w)), rng.randint(1, 12)):
                w[pos] = rng.choice(REPLACEMENTS)
            out.append(" ".join(w))
        else:
            chars = list(" ".join(w))
            for _ in range(rng.randint(1, 25)):
                pos = rng.randrange(len(chars))
                chars[pos] = rng.choice("abcdefghijklmnopqrstuvwxyz")
            out.append("".join(chars))
    return out


def _distinct_sentences(count: int, seed: int) -> list[str]:
    """Instruction-like sentences built from disjoint-ish random word choices."""
    rng = random.Random(seed)
    verbs = "explain describe compare summarise list outline define contrast evaluate critique".split()
    nouns = (
        "volcano algorithm sonnet budget telescope enzyme treaty compiler glacier symphony mortgage "
        "vaccine satellite election reef spreadsheet cathedral neuron tariff marathon bacteria pottery "
        "blockchain monsoon grammar orchestra parliament fossil hurricane quantum recipe turbine"
    ).split()
    extras = (
        "for a child, in three bullet points, using an analogy, with historical context, in under fifty "
        "words, as a haiku, for a job interview, with a worked example, from an economist's view"
    ).split(", ")
    sentences = set()
    while len(sentences) < count:
        a, b, c = rng.sample(nouns, 3)
        sentences.add(
            f"{rng.choice(verbs).capitalize()} the {a} and its link to {b} or {c}, {rng.choice(extras)}, "
            f"mentioning {rng.randint(2, 999)} {rng.choice(nouns)}s."
        )
    return sorted(sentences)


# --- normalise / shingles / jaccard -------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        ("Hello,  World!", "hello world"),
        ("  What is   2+2?\n", "what is 2 2"),
        ("TAB\tand\nnewline", "tab and newline"),
        ("Don't stop.", "don t stop"),
    ],
)
def test_normalise_ignores_case_punctuation_and_whitespace(a, b):
    assert normalise(a) == normalise(b)
    norm = normalise(a)
    assert norm == norm.strip()
    assert "  " not in norm
    assert norm == norm.lower()


def test_normalise_keeps_distinct_words_distinct():
    assert normalise("the cat sat") != normalise("the cats at")
    assert normalise("café déjà vu") == "café déjà vu"  # unicode letters are word characters


def test_shingles_are_k_grams_of_the_normalised_text():
    text = "Hello, World"
    norm = normalise(text)
    grams = shingles(text, k=5)
    assert all(len(g) == 5 for g in grams)
    assert all(g in norm for g in grams)
    assert len(grams) <= len(norm) - 5 + 1
    # every position is covered: the union of the grams' positions spans the text
    assert norm[:5] in grams and norm[-5:] in grams


def test_shingles_of_short_text_is_the_whole_text():
    assert shingles("Hi!", k=5) == {"hi"}
    assert shingles("abcde", k=5) == {"abcde"}


def test_jaccard_basic_properties():
    a, b = shingles("the quick brown fox jumps"), shingles("the quick brown dog sleeps")
    assert jaccard(a, a) == 1.0
    assert jaccard(set(), set()) == 1.0
    assert jaccard(a, set()) == 0.0
    assert jaccard(a, b) == jaccard(b, a)
    assert 0.0 < jaccard(a, b) < 1.0
    assert jaccard({"x", "y"}, {"y", "z"}) == pytest.approx(1 / 3)


# --- NearDuplicateIndex -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        BASE.upper(),
        BASE.replace(",", "").replace(".", "!"),
        "   " + BASE.replace(" ", "\n  ") + "\t",
        BASE.replace("sunlight,", "sunlight ;"),
    ],
)
def test_exact_duplicate_after_normalisation(variant):
    index = NearDuplicateIndex()
    index.add(BASE)
    assert index.check(variant) == "exact_duplicate"


def test_light_edit_is_near_duplicate():
    index = NearDuplicateIndex()
    index.add(BASE)
    edited = BASE.replace("green plant leaves", "green leaves").replace("during the day", "by day")
    assert normalise(edited) != normalise(BASE)
    assert jaccard(shingles(edited), shingles(BASE)) >= index.threshold
    assert index.check(edited) == "near_duplicate"


def test_unrelated_text_is_not_a_duplicate():
    index = NearDuplicateIndex()
    index.add(BASE)
    assert index.check("Write a limerick about a cat who learns to play the trumpet.") is None
    assert index.check("List three causes of the French Revolution.") is None


def test_empty_index_flags_nothing():
    index = NearDuplicateIndex()
    assert len(index) == 0
    assert index.check(BASE) is None


def test_check_does_not_add():
    index = NearDuplicateIndex()
    assert index.check(BASE) is None
    assert index.check(BASE) is None
    assert len(index) == 0
    index.add(BASE)
    assert len(index) == 1
    assert index.check(BASE) == "exact_duplicate"
    assert len(index) == 1


def test_no_false_positives_over_many_distinct_sentences():
    sentences = _distinct_sentences(250, seed=1)
    index = NearDuplicateIndex()
    # the construction really is distinct: brute force confirms no pair reaches the threshold
    grams = [shingles(s) for s in sentences]
    worst = max(jaccard(a, b) for a, b in itertools.combinations(grams, 2))
    assert worst < index.threshold
    for sentence in sentences:
        assert index.check(sentence) is None, sentence
        index.add(sentence)
    assert len(index) == len(sentences)
    # and every one of them is now recognised as an exact duplicate
    assert all(index.check(s.upper()) == "exact_duplicate" for s in sentences[::37])


def test_every_flag_is_justified_in_a_stream_with_real_duplicates():
    """Stream sentences mixed with variants: a flag must match brute-force truth."""
    rng = random.Random(3)
    distinct = _distinct_sentences(80, seed=2)
    stream = list(distinct)
    for s in rng.sample(distinct, 30):
        stream.extend(_variants(s, 2, seed=rng.randrange(10**6)))
    rng.shuffle(stream)
    index = NearDuplicateIndex()
    accepted: list[str] = []
    accepted_grams: list[set[str]] = []
    for text in stream:
        verdict = index.check(text)
        grams = shingles(text)
        best = max((jaccard(grams, g) for g in accepted_grams), default=0.0)
        if verdict == "exact_duplicate":
            assert normalise(text) in {normalise(a) for a in accepted}
        elif verdict == "near_duplicate":
            assert best >= index.threshold
        else:
            assert normalise(text) not in {normalise(a) for a in accepted}
            assert best < 0.8  # LSH may rarely miss close to the threshold, never well above it
            index.add(text)
            accepted.append(text)
            accepted_grams.append(grams)
    assert len(accepted) < len(stream)  # the stream did contain duplicates that were caught


@pytest.mark.parametrize("threshold", [0.7, 0.5])
def test_jaccard_threshold_is_respected(threshold):
    other = "Summarise the plot of a detective novel set in a lighthouse during a winter storm, briefly."
    above_margin = max(threshold + 0.1, 0.8)  # where 16x4 LSH banding almost never misses
    near_band: list[bool] = []
    seen = {"high": 0, "below": 0}
    for seed, original in enumerate([BASE, other]):
        index = NearDuplicateIndex(threshold=threshold)
        index.add(original)
        for variant in _variants(original, 110, seed=11 + seed):
            j = jaccard(shingles(original), shingles(variant))
            verdict = index.check(variant)
            if normalise(variant) == normalise(original):
                assert verdict == "exact_duplicate"
            elif j < threshold:
                # exact Jaccard confirmation: below the threshold is never a duplicate
                assert verdict is None, (j, variant)
                seen["below"] += 1
            elif j >= above_margin:
                assert verdict == "near_duplicate", (j, variant)
                seen["high"] += 1
            else:
                near_band.append(verdict == "near_duplicate")
    # the construction covers both sides of the threshold
    assert seen["below"] >= 20 and seen["high"] >= 20, seen
    if near_band:
        assert sum(near_band) / len(near_band) >= 0.8


def test_higher_threshold_flags_fewer():
    original = BASE
    variants = _variants(BASE, 80, seed=5)
    loose, strict = NearDuplicateIndex(threshold=0.5), NearDuplicateIndex(threshold=0.9)
    loose.add(original)
    strict.add(original)
    loose_flags = {v for v in variants if loose.check(v)}
    strict_flags = {v for v in variants if strict.check(v)}
    assert strict_flags <= loose_flags
    assert len(strict_flags) < len(loose_flags)
