"""Provider and generic secret detection driven by the ``kind: secret`` rules.

Pipeline per artifact (see docs/architecture.md, "Secrets pipeline"):

1. one Aho-Corasick pass over all rules' keywords (:mod:`scanner.prefilter`) picks the rules that can
   match and the windows around their keyword hits;
2. each picked rule's regex runs only inside its windows; the secret is the ``secret`` group;
3. per-rule gates: ``entropy`` (minimum Shannon bits per character), ``paths`` (gitignore-style
   patterns the file must match), ``allow`` (regexes of known-safe values), ``jwt_require`` /
   ``jwt_reject`` (the secret must decode as a JWT with, or without, these claim values);
4. base64 blobs and percent-encoded runs are decoded (:mod:`scanner.decoding`) and scanned the same
   way; such a hit is reported at the encoded blob, which is also what gets masked in snippets;
5. credential pairs (a rule's ``pair`` option): where the identifier half of a pair is found (an AWS
   access key ID, a Twilio Account SID), the value bound to the secret half beside it - the next string
   argument of the same call, or a sibling key within a few lines - is masked, and reported as the rule
   when it passes the rule's gates (see :func:`pair_partners`);
6. overlap resolution: where a provider rule and a generic rule match the same text, only the
   provider's finding is kept;
7. belief: every hit's evidence says why it is believed (:func:`belief`); an expired JWT and a key
   configured for a mock service (:func:`mock_services_lowered`) get low confidence.

The engine then applies the named false-positive filters of :mod:`scanner.filters`, given each hit's line.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import replace
from itertools import accumulate
from typing import NamedTuple

from scanner.config import Config
from scanner.context import Context, Hit
from scanner.decoding import encoded_segments, jwt_claims
from scanner.detectors.base import Detector
from scanner.filters import false_positive_reason, generic_rules_apply, is_expired_token, is_generic, shannon_entropy
from scanner.model import ORIGIN_KINDS, Artifact, Confidence, Rule, frozen_mapping
from scanner.prefilter import KeywordPrefilter, RuleShape
from scanner.rules import Pair, key_endings
from scanner.secrets_manifests import EXTRACTORS, credential_part


def belief(rule: Rule, secret: str, context: str = "") -> dict[str, object]:
    """Why a hit is believed, as keyword arguments of :meth:`Context.finding`: its evidence (the provider's
    key format, with the JWT claims it was checked for, or for generic rules the context the rule matched,
    and the value's entropy; never the value itself) and, for an expired JWT, low confidence."""
    if is_generic(rule):
        basis = f"context: {rule.title.lower()}"
    else:
        basis = f"{rule.options.get('provider', 'provider')} key format"
        if rule.options.get("jwt_require"):
            basis += " and JWT claims"
    if context:
        basis += f", {context}"
    found: dict[str, object] = {"basis": basis, "entropy": round(shannon_entropy(secret), 2)}
    if is_expired_token(secret):
        found.update(confidence=Confidence.LOW, expired="the token's exp claim is in the past")
    return found


class Match(NamedTuple):
    """A rule's regex match that passed the rule's own gates: the secret's offsets and value, and for a rule
    with a ``names`` table the provider whose name was matched."""

    rule: Rule
    start: int
    end: int
    secret: str
    provider: str = ""


#: A value a named-provider rule accepts has letters and digits (a generated key, not a word or a number).
_LETTER, _DIGIT = re.compile(r"[A-Za-z]"), re.compile(r"\d")
#: What makes a credential of a provider whose plain key is public a secret one (``MIXPANEL_API_SECRET``).
_SECRET_QUALIFIER = re.compile(r"(?i)secret|private|admin|server|service|management|mgmt|master|rest")


def named_provider(rule: Rule, match: re.Match, text: str) -> str | None:
    """For a rule with a ``names`` table: the provider whose name ``match`` found, when the value has that
    provider's documented shape (its ``value``, whole) and mixes letters and digits, and, for a provider whose
    plain key is public, the credential is qualified as secret (``cred``); a value separated from its name by
    whitespace only counts after a command-line flag (``--acme-api-key VALUE``)."""
    entry = rule.options["names"].entry(match.group("name"))
    secret = match.group("secret")
    if entry is None or not entry.value.fullmatch(secret) or not (_LETTER.search(secret) and _DIGIT.search(secret)):
        return None
    if entry.public and not _SECRET_QUALIFIER.search(match.group("cred")):
        return None
    if not match.group("op").strip() and not text.endswith("-", 0, match.start("name")):
        return None
    return entry.provider


def claims_allowed(rule: Rule, secret: str) -> bool:
    """The ``jwt_require`` / ``jwt_reject`` gates: claim values the token must have, or must not have."""
    require, reject = rule.options.get("jwt_require"), rule.options.get("jwt_reject")
    if require is None and reject is None:
        return True
    claims = jwt_claims(secret)
    if claims is None:
        return False
    if require and any(str(claims.get(name)) not in values for name, values in require.items()):
        return False
    return not (reject and any(str(claims.get(name)) in values for name, values in reject.items()))


def spans_lines(rule: Rule) -> bool:
    """Whether a rule's matches may cover many lines: ``multiline: true``, or a DOTALL regex (``(?s``)."""
    source = rule.options["regex"].pattern  # the source only: a lazily compiled regex stays uncompiled
    return bool(rule.options.get("multiline") or "(?s" in source or "[\\s\\S]" in source)


def passes_gates(rule: Rule, secret: str, path: str) -> bool:
    """The rule's own checks on one candidate secret."""
    minimum = rule.options.get("entropy")
    if not secret or (minimum is not None and shannon_entropy(secret) < minimum):
        return False
    if any(pattern.search(secret) for pattern in rule.options["allow"]):
        return False
    return claims_allowed(rule, secret)


def extracted_matches(rule: Rule, text: str, path: str) -> Iterator[Match]:
    """For a rule with an ``extract`` option: the values its extractor reads from the structure of ``text``
    (a Kubernetes Secret's ``data:``, decoded), reported where they are written, when their credential part
    passes the rule's gates and the value-level false-positive filters (placeholders, templates)."""
    for value in EXTRACTORS[rule.options["extract"]](text, rule.options["regex"]):
        part = credential_part(value)
        if part and passes_gates(rule, part, path) and not false_positive_reason(part, path, rule):
            yield Match(rule, value.start, value.end, value.raw)


_QUOTES = "\"'`"
#: The next positional string argument after a quoted identifier: ``("AKIA...", "<secret>")``.
_NEXT_ARGUMENT = re.compile(r"""\s{0,40},\s{0,40}(?P<q>["'`])(?P<value>[^"'`\n\\]{1,256})(?P=q)""")
#: ``key = value`` in code and config: ``"authToken": "..."``, ``AWS_SECRET_ACCESS_KEY=...``, ``secret_key: ...``.
_ASSIGNMENT = re.compile(
    r"""(?<![A-Za-z0-9_.-])(?P<key>[A-Za-z_][A-Za-z0-9_.-]{0,80})["'`]?\]?[ \t]{0,8}(?::=|=>|[:=])[ \t]{0,8}"""
    r"""(?:(?P<q>["'`])(?P<quoted>[^"'`\n]{1,256})(?P=q)|(?P<bare>[^\s"'`,;#})\]]{1,256}))""")


class Partner(NamedTuple):
    """A value found as the other half of a credential pair."""

    rule: Rule
    pair: Pair
    start: int
    end: int
    secret: str


def _line_range(text: str, start: int, end: int, lines: int) -> tuple[int, int]:
    """Offsets of the text from ``lines`` lines before ``start``'s line to ``lines`` lines after ``end``'s."""
    low = text.rfind("\n", 0, start) + 1
    for _ in range(lines):
        if low == 0:
            break
        low = text.rfind("\n", 0, low - 1) + 1
    high = text.find("\n", end)
    for _ in range(lines):
        if high == -1:
            break
        high = text.find("\n", high + 1)
    return low, len(text) if high == -1 else high


def pair_partners(rule: Rule, pair: Pair, text: str) -> Iterator[Partner]:
    """Values of ``text`` bound to the secret half of ``pair`` next to each identifier ``pair.anchor`` finds.

    Only literal values count: the partner must be a quoted next argument or a sibling key's value, and
    match ``pair.value`` whole, so variables, env references and most placeholders never qualify.
    """
    for anchor in pair.anchor.finditer(text):
        start, end = anchor.span()
        if false_positive_reason(anchor.group(), ""):
            continue  # a placeholder identifier (AKIAXXXX...): its partner is no evidence of anything
        if pair.arguments and start > 0 and end < len(text) and text[start - 1] in _QUOTES \
                and text[end] == text[start - 1] and (arg := _NEXT_ARGUMENT.match(text, end + 1)) \
                and pair.value.fullmatch(arg.group("value")):
            yield Partner(rule, pair, *arg.span("value"), arg.group("value"))
        if not pair.sibling_keys:
            continue
        low, high = _line_range(text, start, end, pair.window)
        for assignment in _ASSIGNMENT.finditer(text, low, high):
            group = "quoted" if assignment.group("quoted") is not None else "bare"
            value = assignment.group(group)
            key = assignment.group("key").rsplit(".", 1)[-1]
            if pair.value.fullmatch(value) and not pair.sibling_keys.isdisjoint(key_endings(key)) \
                    and not (assignment.start(group) < end and start < assignment.end(group)):
                yield Partner(rule, pair, *assignment.span(group), value)


class SecretsDetector(Detector):
    """Implements every ``kind: secret`` rule."""

    rule_kind = "secret"
    examined_as = "file"
    origins = frozenset(ORIGIN_KINDS)  # a key shipped in a bundle or printed in a CI log is leaked too

    def __init__(self, rules: list[Rule], config: Config):
        super().__init__(rules, config)
        self._ordered: Sequence[Rule] = tuple(self.rules.values())
        self._generic = frozenset(index for index, rule in enumerate(self._ordered) if is_generic(rule))
        self._prefilter: KeywordPrefilter | None = None
        self._pairs: Sequence[tuple[Rule, Pair]] = tuple(
            (rule, pair) for rule in self._ordered for pair in rule.options.get("pair", ()))
        self._seen = SeenTexts()
        #: (rule index, path) -> whether the rule's ``paths`` option selects the path (paths recur in history).
        self._selects: dict[tuple[int, str], bool] = {}

    @property
    def prefilter(self) -> KeywordPrefilter:
        """Built on first use, once per process: every rule's keywords, then every pair's (their indexes
        follow the rules'), so one pass over the text serves both."""
        if self._prefilter is None:
            rules = len(self._ordered)
            self._prefilter = KeywordPrefilter([
                *(RuleShape(index, rule.options["keywords"], spans_lines(rule), bool(rule.options.get("anchored")))
                  for index, rule in enumerate(self._ordered)),
                *(RuleShape(rules + index, pair.keywords) for index, (_, pair) in enumerate(self._pairs)),
            ])
        return self._prefilter

    def matches(self, text: str, path: str, candidates: dict[int, list | None] | None = None,
                generic: bool = True) -> Iterator[Match]:
        """Every gated match of every rule in ``text`` (``path`` selects rules with a ``paths`` option;
        ``generic=False`` leaves generic rules out)."""
        if candidates is None:
            candidates = self.prefilter.candidates(text)
        skipped = frozenset() if generic else self._generic
        for index, windows in candidates.items():
            if index >= len(self._ordered) or index in skipped:
                continue  # a pair's keyword (see partners), or a generic rule in generated code
            rule = self._ordered[index]
            if not self._selected(index, rule, path):
                continue
            if "extract" in rule.options:
                yield from extracted_matches(rule, text, path)
                continue
            named = "names" in rule.options
            for match in _regex_matches(rule, text, windows):
                secret = match.group("secret")
                provider = named_provider(rule, match, text) if named else ""
                if provider is not None and passes_gates(rule, secret, path):
                    yield Match(rule, *match.span("secret"), secret, provider)

    def partners(self, text: str, path: str, candidates: dict[int, list | None] | None = None) -> Iterator[Partner]:
        """The other halves of credential pairs in ``text`` (rules with a ``pair`` option), ungated.

        A pair's keyword anywhere in the text sends its anchor over the whole text: the identifier may be
        far from the provider's name (``from twilio.rest import Client`` ... ``Client("AC...", ...)``).
        """
        if not self._pairs:
            return
        if candidates is None:
            candidates = self.prefilter.candidates(text)
        rules = len(self._ordered)
        for index in sorted(i - rules for i in candidates if i >= rules):
            rule, pair = self._pairs[index]
            if self._selected(rules + index, rule, path):
                yield from pair_partners(rule, pair, text)

    def _selected(self, index: int, rule: Rule, path: str) -> bool:
        """Whether ``rule`` applies to ``path`` (its ``paths`` option), remembered per path."""
        paths = rule.options.get("paths")
        if paths is None:
            return True
        selected = self._selects.get((index, path))
        if selected is None:
            if len(self._selects) >= SeenTexts.LIMIT:
                self._selects.clear()
            selected = self._selects[index, path] = paths.match_file(path)
        return selected

    def detect(self, artifact: Artifact, ctx: Context) -> list[Hit]:
        """The artifact's hits; an artifact seen before in this process (same path, origin and text: a merge
        re-adding a branch's lines, a cherry-pick, a revert of a revert) gets the hits computed then."""
        key = self._seen.key(artifact)
        known = self._seen.get(key)
        if known is not None:
            hits, recognised = known
            ctx.recognised.update(recognised)
            return list(hits)
        outer, ctx.recognised = ctx.recognised, set()  # what this detection recognises, kept with its hits
        try:
            hits = self._detect(artifact, ctx)
        finally:
            recognised, ctx.recognised = ctx.recognised, outer
            outer.update(recognised)
        self._seen.put(key, tuple(hits), frozenset(recognised))
        return hits

    def _detect(self, artifact: Artifact, ctx: Context) -> list[Hit]:
        candidates = self.prefilter.candidates(artifact.text)
        generic = generic_rules_apply(artifact)
        found = list(self.matches(artifact.text, artifact.path, candidates, generic))
        hits = [self._hit(ctx, m) for m in found]
        hits.extend(self._pair_hits(artifact, ctx, candidates, {(m.rule.id, m.start) for m in found}))
        hits.extend(self._decoded_hits(artifact, ctx))
        kept = resolve_overlaps(hits, self.rules)
        for dropped in {h.secret for h in hits} - {h.secret for h in kept}:
            if not false_positive_reason(dropped, artifact.path):  # a generic reading of a provider key
                ctx.recognise(dropped)
        return mock_services_lowered(kept, artifact.text)

    @staticmethod
    def _hit(ctx: Context, match: Match) -> Hit:
        if match.provider:  # a named-provider rule: the message and evidence name the provider
            return ctx.finding(match.rule.id, ctx.span(match.start, match.end), secret=match.secret,
                               message=f"{match.provider} credential found (named next to a credential word)",
                               **belief(match.rule, match.secret, f"{match.provider} named next to a credential word"))
        return ctx.finding(match.rule.id, ctx.span(match.start, match.end), secret=match.secret,
                           message=f"{match.rule.title} found", **belief(match.rule, match.secret))

    def _pair_hits(self, artifact: Artifact, ctx: Context, candidates: dict[int, list | None],
                   reported: set[tuple[str, int]]) -> Iterator[Hit]:
        """The other half of each credential pair: masked when the filters let it pass, reported as its
        rule when it also passes the rule's gates (and its rule did not already report it there)."""
        for partner in self.partners(artifact.text, artifact.path, candidates):
            if (partner.rule.id, partner.start) in reported:
                continue
            reported.add((partner.rule.id, partner.start))
            if not false_positive_reason(partner.secret, artifact.path, partner.rule):
                ctx.recognise(partner.secret)
            if passes_gates(partner.rule, partner.secret, artifact.path):
                yield ctx.finding(partner.rule.id, ctx.span(partner.start, partner.end), secret=partner.secret,
                                  message=f"{partner.rule.title} found next to {partner.pair.anchor_title}",
                                  **belief(partner.rule, partner.secret, f"next to {partner.pair.anchor_title}"))

    def _decoded_hits(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        """Secrets inside base64 blobs or percent-encoded runs, reported at (and masked as) the blob.

        The false-positive filters run here on the decoded value; the ``encoding`` evidence tells the
        engine not to run them again on the blob.
        """
        generic = generic_rules_apply(artifact)
        for segment in encoded_segments(artifact.text):
            seen: set[str] = set()
            for match in self.matches(segment.text, artifact.path, generic=generic):
                if match.rule.id in seen or _decoded_false_positive(match, segment.text, artifact.path):
                    continue
                seen.add(match.rule.id)
                ctx.recognise(match.secret)  # the decoded value, should a report ever hold it
                blob = artifact.text[segment.start:segment.end]
                yield ctx.finding(match.rule.id, ctx.span(segment.start, segment.end), secret=blob,
                                  message=f"{match.rule.title} found in {segment.encoding}-encoded text (decoded)",
                                  encoding=segment.encoding, **belief(match.rule, match.secret))


#: hashlib lets go of the GIL for inputs of 2048 bytes or more, and getting it back from the thread that reads
#: git's output can take milliseconds on a busy machine (measured: 0.35 s of CPU became 3.9 s of wall time on
#: 4,000 commits), so texts are hashed in smaller pieces.
_HASH_PIECE = 2047


class SeenTexts:
    """Hits of artifacts already scanned, by a digest of their path, origin kind and text (memory only).

    A history scan reads the same added lines many times over (29% of sqlalchemy's history text): a merge's
    first-parent diff repeats its branch's commits, refs outside the main line repeat rebased work. Hits are
    offsets in the text, so they hold for any artifact with the same text, path and origin kind (what the
    rules' ``paths`` and the generic rules' scope depend on); the engine maps them to lines and commits per
    artifact, and its filters run on them as on any hit. Bounded: past ``LIMIT`` entries it starts again.
    """

    LIMIT = 200_000
    _NONE: tuple[tuple[Hit, ...], frozenset[str]] = ((), frozenset())

    def __init__(self) -> None:
        self._known: dict[bytes, tuple[tuple[Hit, ...], frozenset[str]]] = {}

    @staticmethod
    def key(artifact: Artifact) -> bytes:
        data = "\0".join((artifact.path, artifact.origin.kind, artifact.text)).encode("utf-8", "surrogatepass")
        digest = hashlib.sha256()
        with memoryview(data) as view:
            for start in range(0, len(data), _HASH_PIECE):
                digest.update(view[start:start + _HASH_PIECE])
        return digest.digest()

    def get(self, key: bytes) -> tuple[tuple[Hit, ...], frozenset[str]] | None:
        return self._known.get(key)

    def put(self, key: bytes, hits: tuple[Hit, ...], recognised: frozenset[str]) -> None:
        if len(self._known) >= self.LIMIT:
            self._known.clear()
        self._known[key] = (hits, recognised) if hits or recognised else self._NONE


#: A service definition for a mock (``image: acme/mock-saml``, ``mock-oauth:``) in a compose or CI file.
_MOCK_SERVICE = re.compile(r"(?im)^[ \t-]*(?:image:[ \t]*[\w./-]*mock[\w.:/-]*|[\w-]*mock[\w-]*:)[ \t]*$")
#: How many lines above a secret a mock service's definition may start.
MOCK_SERVICE_LINES = 10


def mock_services_lowered(hits: list[Hit], text: str) -> list[Hit]:
    """Hits configured for a mock service (a CI or compose service whose name or image says mock, a few
    lines above) at low confidence: a test identity provider's signing key is a fixture, still reported."""
    if not hits or "mock" not in text.lower():
        return hits
    lines = text.split("\n")
    lowered = []
    for hit in hits:
        above = "\n".join(lines[max(0, hit.span.line - 1 - MOCK_SERVICE_LINES):hit.span.line - 1])
        if hit.confidence is None and _MOCK_SERVICE.search(above):
            hit = replace(hit, confidence=Confidence.LOW,
                          evidence=frozen_mapping({**hit.evidence, "mock_service": "configured for a mock service"}))
        lowered.append(hit)
    return lowered


def _decoded_false_positive(match: Match, text: str, path: str) -> bool:
    """The false-positive filters on a match in decoded ``text``, given its line there (the engine's
    context filters see a decoded value's surroundings as they are after decoding)."""
    start = text.rfind("\n", 0, match.start) + 1
    end = text.find("\n", match.start)
    line = text[start:len(text) if end == -1 else end]
    return bool(false_positive_reason(match.secret, path, match.rule, line, match.start - start))


def _regex_matches(rule: Rule, text: str, windows: list[tuple[int, int]] | None) -> Iterator[re.Match]:
    """The rule's regex matches inside its windows: searched, or for anchored rules tried at each start."""
    regex = rule.options["regex"]
    if windows is None:
        yield from regex.finditer(text)
    elif rule.options.get("anchored"):
        covered = -1
        for start, end in windows:
            if start >= covered and (match := regex.match(text, start, end)):
                covered = match.end()
                yield match
    else:
        for start, end in windows:
            yield from regex.finditer(text, start, end)


def resolve_overlaps(hits: list[Hit], rules: dict[str, Rule]) -> list[Hit]:
    """Drop a generic rule's hit where a provider rule's hit covers overlapping text.

    Among overlapping generic hits, the one of the higher-severity rule is kept (ties: both kept).
    Hits are grouped by rank (provider or generic, severity: a handful of groups), each group sorted by
    start with a running maximum of ends, so a hit asks each higher group one binary search: n log n, not
    every pair of hits on a line (a minified line may hold thousands).
    """
    if len(hits) < 2:
        return hits

    def rank(hit: Hit) -> tuple[bool, int]:
        rule = rules[hit.rule_id]
        return (not is_generic(rule), int(rule.severity))

    def bounds(hit: Hit) -> tuple[tuple[int, int], tuple[int, int]]:
        return (hit.span.line, hit.span.column), (hit.span.end_line, hit.span.end_column)

    groups: dict[tuple[bool, int], list] = defaultdict(list)
    for hit in hits:
        groups[rank(hit)].append(bounds(hit))
    reach_by_rank = {}
    for group, spans in groups.items():
        spans.sort()
        reach_by_rank[group] = ([start for start, _ in spans], list(accumulate((end for _, end in spans), max)))

    def outranked(hit: Hit) -> bool:
        start, end = bounds(hit)
        own = rank(hit)
        for group, (starts, reach) in reach_by_rank.items():
            before = bisect_left(starts, end)  # hits of this group starting before this one ends
            if group > own and before and reach[before - 1] > start:
                return True
        return False

    return [hit for hit in hits if not (is_generic(rules[hit.rule_id]) and outranked(hit))]
