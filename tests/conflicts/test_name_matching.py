"""Name matching against a labelled set (tests/conflicts/name_pairs.csv): precision and recall at
the default CONFLICT_NAME_THRESHOLD, and the normalisation and blocking keys themselves."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from lead_manager.conflicts.names import (
    blocking_keys,
    length_window,
    normalise,
    similarity,
)
from lead_manager.core.settings import Settings

PAIRS = Path(__file__).with_name("name_pairs.csv")


def labelled_pairs() -> list[tuple[str, str, bool]]:
    with PAIRS.open(encoding="utf-8", newline="") as handle:
        return [(row["a"], row["b"], row["match"] == "1") for row in csv.DictReader(handle)]


def test_precision_and_recall_at_the_default_threshold() -> None:
    threshold = Settings.model_fields["conflict_name_threshold"].default
    pairs = labelled_pairs()
    assert len(pairs) >= 40
    assert sum(m for *_, m in pairs) >= 20 and sum(not m for *_, m in pairs) >= 20
    predicted = [(similarity(normalise(a), normalise(b)) >= threshold, m) for a, b, m in pairs]
    true_positives = sum(p and m for p, m in predicted)
    false_positives = sum(p and not m for p, m in predicted)
    false_negatives = sum(m and not p for p, m in predicted)
    precision = true_positives / (true_positives + false_positives)
    recall = true_positives / (true_positives + false_negatives)
    missed = [
        (a, b) for (a, b, m) in pairs if m and similarity(normalise(a), normalise(b)) < threshold
    ]
    wrong = [
        (a, b)
        for (a, b, m) in pairs
        if not m and similarity(normalise(a), normalise(b)) >= threshold
    ]
    print(f"\nlabelled pairs: {len(pairs)}, precision {precision:.3f}, recall {recall:.3f}")
    assert recall == 1.0, f"missed true matches: {missed}"
    assert precision >= 0.95, f"false matches: {wrong}"


def test_every_true_match_shares_a_blocking_key() -> None:
    """The index finds every true match: the candidates are read by key, never all names."""
    threshold = Settings.model_fields["conflict_name_threshold"].default
    for a, b, match in labelled_pairs():
        if not match:
            continue
        key_a, key_b = normalise(a), normalise(b)
        assert blocking_keys(key_a) & blocking_keys(key_b), (a, b)
        low, high = length_window(len(key_a), threshold)
        assert low <= len(key_b) <= high, (a, b)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("Doe, John", "doe john"),
        ("ACME Holdings, Inc.", "acme holdings"),
        ("Zoë", "zoe"),
        ("Co", "co"),
        ("  ", ""),
        ("<script>alert(1)</script>", "1 alert script script"),
        ("Straße", "strasse"),
    ],
)
def test_normalise(name: str, text: str) -> None:
    assert normalise(name).text == text


def test_similarity_is_symmetric_and_bounded() -> None:
    for a, b, _ in labelled_pairs():
        forward = similarity(normalise(a), normalise(b))
        assert forward == similarity(normalise(b), normalise(a))
        assert 0.0 <= forward <= 1.0
    assert similarity(normalise(""), normalise("x")) == 0.0


def one_edit_variants(token: str) -> set[str]:
    letters = "xe"
    variants = {token[:i] + token[i + 1 :] for i in range(len(token))}
    variants |= {token[:i] + c + token[i + 1 :] for i in range(len(token)) for c in letters}
    variants |= {token[:i] + c + token[i:] for i in range(len(token) + 1) for c in letters}
    variants |= {
        token[:i] + token[i + 1] + token[i] + token[i + 2 :] for i in range(len(token) - 1)
    }
    variants.discard(token)
    return {v for v in variants if v}


@pytest.mark.parametrize(
    "name", ["John Smith", "Acme Holdings", "Li Wu", "Maria Elena Rodriguez", "Globex", "Al Bo"]
)
def test_any_one_edit_keeps_a_shared_blocking_key(name: str) -> None:
    original = normalise(name)
    keys = blocking_keys(original)
    for position, token in enumerate(original.tokens):
        for variant in one_edit_variants(token):
            tokens = list(original.tokens)
            tokens[position] = variant
            edited = normalise(" ".join(tokens))
            assert keys & blocking_keys(edited), (name, " ".join(tokens))
