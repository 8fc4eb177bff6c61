"""Name matching: normalised names, a similarity score (0 to 1), and the blocking keys that find
candidates through an index instead of reading every name.

Normalising ignores case, accents, punctuation, token order ("Doe, John" = "John Doe") and
company suffixes (Inc, LLC, Ltd, LLP, GmbH, Corp, Co …). The score counts edits (rapidfuzz's
optimal string alignment: insert, delete, substitute, swap neighbours) between the normalised
names, after setting aside the tokens both share, against the longer name but at least 10
characters: one typo in a name of up to 10 characters scores 0.9, in a longer name more; "John
Smith" and "Jane Smith" (three edits) 0.7.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import OSA

COMPANY_SUFFIXES = frozenset(
    {
        "inc",
        "incorporated",
        "llc",
        "ltd",
        "limited",
        "llp",
        "lp",
        "plc",
        "gmbh",
        "ag",
        "corp",
        "corporation",
        "co",
        "company",
    }
)
# Too common to find candidates by (they still count in the score).
STOP_TOKENS = frozenset(
    {"and", "of", "the", "de", "la", "le", "van", "von", "der", "den", "du", "da", "del", "di"}
)
# Letters NFKD does not take apart.
_LETTERS = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "\u0131": "i", "æ": "ae", "œ": "oe"}
)
# Apostrophes (straight, typographic, grave, acute) and dots join what they separate: O'Brien.
_DROPPED = re.compile("[.'`\u2019\u00b4]")
_TOKEN = re.compile(r"[^\W_]+")
MIN_LENGTH = 10
KEY_TOKEN_LENGTH = 40
MAX_KEY_TOKENS = 4
# Six letters of context: with four, a common word paired with a three-letter start ("partners"
# with "tin") held 900 names of a 100,000-party register; with six such blocks hold tens.
PREFIX_LETTERS = 6
# Single-token names also get keys for each one-letter deletion, up to this length.
DELETION_KEYS_MAX_LENGTH = 20


@dataclass(frozen=True, slots=True)
class NameKey:
    """A normalised name: its tokens sorted, and those tokens joined by single spaces."""

    text: str
    tokens: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.text)


def normalise(name: str) -> NameKey:
    text = unicodedata.normalize("NFKD", name.casefold()).translate(_LETTERS)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _DROPPED.sub("", text.replace("&", " and "))
    tokens = _TOKEN.findall(text)
    # A name made only of suffixes ("Co") keeps them.
    tokens = sorted([t for t in tokens if t not in COMPANY_SUFFIXES] or tokens)
    return NameKey(" ".join(tokens), tuple(tokens))


def similarity(a: NameKey, b: NameKey) -> float:
    if a.text == b.text:
        return 1.0
    if not a.text or not b.text:
        return 0.0
    length = max(len(a.text), len(b.text), MIN_LENGTH)
    distance = OSA.distance(a.text, b.text)
    # With the shared tokens set aside, a typo in a first letter cannot shift the sort order of
    # the rest ("Jon Ames" / "Jon Ymes").
    if distance > 1 and len(a.tokens) > 1 and len(b.tokens) > 1:
        rest_a = list(a.tokens)
        rest_b = []
        for token in b.tokens:
            if token in rest_a:
                rest_a.remove(token)
            else:
                rest_b.append(token)
        if rest_a and rest_b and len(rest_b) < len(b.tokens):
            distance = min(distance, OSA.distance(" ".join(rest_a), " ".join(rest_b)))
    # Rounded: one typo in ten characters is 0.9, not 0.8999999999999999.
    return round(max(0.0, 1.0 - distance / length), 4)


def length_window(length: int, threshold: float) -> tuple[int, int]:
    """The normalised lengths a name must have to reach `threshold` against one of `length`:
    the score cannot beat the difference in length."""
    if threshold <= 0.5:
        return 0, 10_000
    slack = 1.0 - threshold
    low = length - slack * max(length, MIN_LENGTH)
    high = max(length / threshold, length + slack * MIN_LENGTH)
    return max(0, math.floor(low + 1e-9)), math.ceil(high - 1e-9)


def _prefix_variants(token: str, letters: int) -> set[str]:
    """The first `letters` letters with one of them left out ("smithson" → mithso,
    sithso, …, smitho, smiths); shorter tokens also as they are. One edit in a token leaves one
    of these unchanged: a letter substituted, deleted or inserted within the prefix, or two of
    them swapped, spoil the others; an edit further on none."""
    prefix = token[:letters]
    variants = {prefix[:i] + prefix[i + 1 :] for i in range(len(prefix))}
    if len(prefix) < letters:
        variants.add(prefix)
    return variants


def blocking_keys(key: NameKey, prefix_letters: int = PREFIX_LETTERS) -> set[str]:
    """Index keys such that a name one edit away from another shares at least one key with it.

    A name of several tokens gets, for each pair of its (up to four longest) tokens t and u, the
    keys `p:t|v` for v in u's first `prefix_letters` letters less one: one edit changes one
    token only, so either t is intact and u keeps one such variant, or the same holds the other
    way round. A name of one token gets the token and its one-letter deletions (`d:`). Keys
    with five letters of context are far more selective than bare tokens ("holdings" alone is
    in thousands of company names). Migrations that re-key stored names pass `prefix_letters`.
    """
    # Stop words only go when two tokens remain (a typo can make one of "li", "la").
    tokens = sorted({t for t in key.tokens if t not in STOP_TOKENS})
    if len(tokens) < 2:
        tokens = sorted(set(key.tokens))
    if not tokens:
        return set()
    if len(tokens) == 1:
        token = tokens[0][:KEY_TOKEN_LENGTH]
        keys = {f"d:{token}"}
        if 3 <= len(token) <= DELETION_KEYS_MAX_LENGTH:
            keys.update(f"d:{token[:i]}{token[i + 1 :]}" for i in range(len(token)))
        return keys
    chosen = sorted(tokens, key=lambda t: (-len(t), t))[:MAX_KEY_TOKENS]
    return {
        f"p:{t[:KEY_TOKEN_LENGTH]}|{pair}"
        for t in chosen
        for u in chosen
        if u != t
        for pair in _prefix_variants(u, prefix_letters)
    }


def lead_key_rows(
    lead_id: Any, names: Iterable[tuple[str, str]], prefix_letters: int = PREFIX_LETTERS
) -> list[dict[str, Any]]:
    """The `lead_name_keys` rows of one lead's names, given as (role, name as written): one per
    key and distinct normalised name of a role. The intake writes them, and the migrations that
    key stored names (`prefix_letters` for those that re-key with another length)."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for role, text in names:
        key = normalise(text)
        for block in blocking_keys(key, prefix_letters) if key.text else ():
            rows.setdefault(
                (block, role, key.text),
                {
                    "key": block,
                    "role": role,
                    "name_length": len(key.text),
                    "lead_id": lead_id,
                    "name_key": key.text[:600],
                    "name": text[:320],
                },
            )
    return list(rows.values())


def party_key_rows(
    party_id: Any, name: str, prefix_letters: int = PREFIX_LETTERS
) -> list[dict[str, Any]]:
    """The `party_name_keys` rows of a party's name (see lead_key_rows)."""
    key = normalise(name)
    return [
        {"key": block, "name_length": len(key.text), "party_id": party_id, "name_key": key.text}
        for block in sorted(blocking_keys(key, prefix_letters))
    ]
