"""Party names: normalisation, entity keys, and fuzzy watch-list matching.

Traders file the same company under many spellings ("Al-Noor General Trading LLC",
"AL NOOR GENERAL TRADING L.L.C.", "General Trading Al Noor"). `normalise_name` maps such variants
to one canonical string: Unicode NFKC, accents stripped, casefolded, punctuation removed, legal
forms (LLC, LTD, GMBH, FZE, OOO, ...) dropped, tokens sorted. `entity_key` adds the country, so one
trader's variants key together in the party-behaviour check (checks/party.py).

`WatchlistMatcher` catches what normalisation cannot (typos, a word added or dropped): RapidFuzz
similarity on normalised names, the watch list normalised once at construction.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from typing import Iterable

from rapidfuzz import fuzz, process

# Legal forms and filler words dropped from names (after punctuation is removed: "l.l.c." is
# "llc", "s.a." is "sa", "co.," is "co").
LEGAL_FORMS = frozenset(
    """
    llc ltd limited gmbh mbh co company corp corporation inc incorporated fze fzco fzc fz llp lp
    plc sa sas sarl srl spa sl bv nv ag kg ohg ug oy ab as asa aps ooo oao zao pjsc jsc ojsc
    pte pty pvt kft sro spzoo zoo doo dd ad eood ltda cia sac sae jsc kk tic
    the and of
    """.split()
)
# Multi-token legal forms, written as they appear after punctuation is removed.
_MULTI_FORMS = (
    ("sp", "z", "o", "o"), ("sp", "zoo"), ("s", "r", "o"), ("s", "a"), ("l", "l", "c"), ("co", "ltd"),
    ("pte", "ltd"), ("pvt", "ltd"), ("pty", "ltd"),
)

_DROP_RE = re.compile(r"[.'\u2019`]")  # removed outright: "L.L.C." -> "LLC", "O'Neil" -> "ONeil"
_SPLIT_RE = re.compile(r"[\W_]+", re.UNICODE)  # any other punctuation separates words


@functools.lru_cache(maxsize=200_000)
def normalise_name(name: str) -> str:
    """Canonical form of a party name: same string for case, punctuation, accent, legal-form and
    word-order variants. Idempotent. Returns "" for an empty or all-punctuation name."""
    if not name:
        return ""
    # A name made only of legal forms ("The Company Ltd") keeps them all.
    return " ".join(sorted(normalise_name_words(name)))


def normalise_name_words(name: str) -> list[str]:
    """The words of normalise_name in their original order (for matchers), legal forms dropped."""
    s = unicodedata.normalize("NFKD", name or "")
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = _DROP_RE.sub("", unicodedata.normalize("NFKC", s).casefold())
    raw = [t for t in _SPLIT_RE.split(s) if t]
    return [t for t in _drop_multi_forms(raw) if t not in LEGAL_FORMS] or raw


def _drop_multi_forms(tokens: list[str]) -> list[str]:
    if len(tokens) < 2:
        return tokens
    out: list[str] = []
    i = 0
    n = len(tokens)
    while i < n:
        for form in _MULTI_FORMS:
            k = len(form)
            if i > 0 and tuple(tokens[i:i + k]) == form:  # never the first word of a name
                i += k
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def entity_key(party: dict | None) -> str:
    """Key of the trader behind a party record: normalised name and country."""
    if not party:
        return "|"
    return f"{normalise_name(party.get('name') or '')}|{party.get('country') or ''}"


def name_similarity(a: str, b: str) -> float:
    """Similarity 0..100 of two raw party names, after normalisation."""
    na, nb = normalise_name(a), normalise_name(b)
    if na == nb:
        return 100.0
    return _similarity(na, nb)


def _similarity(na: str, nb: str) -> float:
    # token_sort_ratio: word order and typos; the comparison without spaces catches words
    # merged or split ("alnoor" / "al noor").
    s = fuzz.token_sort_ratio(na, nb)
    if s < 100:
        s = max(s, fuzz.ratio("".join(na.split()), "".join(nb.split())))
    return s


class WatchlistMatcher:
    """Fuzzy matcher of party names against a watch list, built once per list and threshold.

    `match(name)` returns (entry, score) of the best entry scoring at least `threshold`, or None.
    `entries` are objects with a `.name` (transforms.reference.WatchlistEntry) or plain strings.
    """

    def __init__(self, entries: Iterable, threshold: float = 88.0, country_margin: float = 6.0):
        self.entries = tuple(entries)
        self.threshold = float(threshold)
        self.country_margin = float(country_margin)
        self._countries = [None if isinstance(e, str) else getattr(e, "country", None) for e in self.entries]
        # Every entry under its normalised name, and under the names made by merging two adjacent
        # words ("Al Noor" filed as "AlNoor"): (normalised variant, entry index).
        # A merged variant needs `country_margin` more points than the name itself.
        variants: dict[str, tuple[int, float]] = {}
        for i, e in enumerate(self.entries):
            raw = e if isinstance(e, str) else e.name
            norm = normalise_name(raw)
            if norm:
                variants[norm] = (i, 0.0)
        for i, e in enumerate(self.entries):
            words = normalise_name_words(e if isinstance(e, str) else e.name)
            for j in range(len(words) - 1):
                merged = words[:j] + [words[j] + words[j + 1]] + words[j + 2:]
                variants.setdefault(" ".join(sorted(merged)), (i, self.country_margin))
        self._variants = list(variants)
        self._variant_entry = [v[0] for v in variants.values()]
        self._variant_extra = [v[1] for v in variants.values()]
        self._cache: dict[tuple, tuple | None] = {}

    def match(self, name: str, country: str | None = None) -> tuple | None:
        """Best (entry, score) for a name, or None. With `country`, an entry of another country
        needs `country_margin` more points (an honest namesake abroad is likelier)."""
        if not name or not self.entries:
            return None
        norm = normalise_name(name)
        key = (norm, country)
        hit = self._cache.get(key, False)
        if hit is not False:
            return hit
        result = self._match_normalised(norm, country)
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[key] = result
        return result

    def _match_normalised(self, norm: str, country: str | None) -> tuple | None:
        if not norm:
            return None
        hits = process.extract(norm, self._variants, scorer=fuzz.token_sort_ratio,
                               score_cutoff=self.threshold, limit=5)
        best = None
        for _, score, vi in hits:
            idx = self._variant_entry[vi]
            need = self.threshold + self._variant_extra[vi]
            entry_country = self._countries[idx]
            if country and entry_country and country != entry_country:
                need += self.country_margin
            if score < need:
                continue
            if best is None or score > best[1]:
                best = (self.entries[idx], float(score))
        return best


_MATCHERS: dict[tuple[int, float], tuple[object, WatchlistMatcher]] = {}


def watchlist_matcher(watchlist: tuple, threshold: float) -> WatchlistMatcher:
    """The matcher for a watch list (reference.watchlist) and threshold, built once and reused."""
    key = (id(watchlist), threshold)
    hit = _MATCHERS.get(key)
    if hit is not None and hit[0] is watchlist:
        return hit[1]
    m = WatchlistMatcher(watchlist, threshold)
    if len(_MATCHERS) > 16:
        _MATCHERS.clear()
    _MATCHERS[key] = (watchlist, m)
    return m
