"""Load and validate the declarative rules under ``rules/`` into a :class:`Registry`.

A rule file holds one rule (a mapping with an ``id``) or several (a mapping with a ``rules`` list).
Loading is strict: a missing field, an unknown key, a bad regex or a duplicate id raises
:class:`RuleError` naming the file, because a silently broken rule is a hole in the scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from scanner.model import (
    CHECKS,
    RULE_ID_PATTERN,
    RULE_KINDS,
    Confidence,
    Examples,
    Rule,
    Severity,
    frozen_mapping,
)
from scanner.secrets_manifests import EXTRACTORS

_COMMON_REQUIRED = ("id", "title", "kind", "severity", "check", "description", "remediation", "examples")
_COMMON_OPTIONAL = ("confidence", "cwe", "owasp", "references")
#: Keys each kind of rule adds; they are kept in ``Rule.options``.
_KIND_KEYS: dict[str, dict[str, bool]] = {
    # key -> required?
    "secret": {"provider": True, "regex": True, "keywords": True, "entropy": False, "paths": False,
               "allow": False, "jwt_require": False, "jwt_reject": False, "multiline": False,
               "anchored": False, "literal": False, "pair": False,
               "names": False, "extract": False},
    "code": {"options": False, "languages": False},
    "semgrep": {"semgrep_rule": True, "languages": False},
}
_EXAMPLE_KEYS = {
    "secret": ("positive", "negative"),
    "code": ("invalid", "valid"),
    "semgrep": ("invalid", "valid"),
}
_CWE = re.compile(r"^CWE-\d+$")


class RuleError(ValueError):
    """A rule file is malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class Registry:
    """All rules, by id, in a stable order."""

    rules: Mapping[str, Rule]

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules.values())

    def __len__(self) -> int:
        return len(self.rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self.rules

    def get(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    def of_kind(self, kind: str) -> list[Rule]:
        return [rule for rule in self.rules.values() if rule.kind == kind]


def rules_dir() -> Path:
    """The rules shipped with the package (wheel) or, in a checkout, the repository's ``rules/``."""
    packaged = Path(__file__).resolve().parent / "_rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "rules"


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise RuleError(f"{where}: {key!r} must be a list of strings")
    return tuple(str(v) for v in value)


def _examples(raw: Any, kind: str, where: str) -> Examples:
    good_key, bad_key = _EXAMPLE_KEYS[kind]  # (found, not found)
    if not isinstance(raw, dict):
        raise RuleError(f"{where}: 'examples' must be a mapping with {good_key!r} and {bad_key!r}")
    allowed = {good_key, bad_key, f"todo_{good_key}", f"todo_{bad_key}"}
    unknown = set(raw) - allowed
    if unknown:
        raise RuleError(f"{where}: unknown example key(s) {sorted(unknown)} (allowed: {sorted(allowed)})")
    values = {}
    for key in allowed:
        items = raw.get(key) or []
        if not isinstance(items, list) or not all(isinstance(i, (str, dict)) for i in items):
            raise RuleError(f"{where}: examples.{key} must be a list of strings or mappings")
        values[key] = tuple(items)
    if not values[good_key] or not values[bad_key]:
        raise RuleError(f"{where}: a rule needs at least one {good_key!r} and one {bad_key!r} example")
    return Examples(
        positive=values[good_key],
        negative=values[bad_key],
        todo_positive=values[f"todo_{good_key}"],
        todo_negative=values[f"todo_{bad_key}"],
    )


def _claim_table(value: Any, where: str, key: str) -> Mapping[str, frozenset[str]]:
    """``{claim: [values]}`` for the JWT options: the secret must be a JWT with (or without) these claims."""
    if not isinstance(value, dict):
        raise RuleError(f"{where}: {key!r} must map claim names to lists of values, e.g. {{role: [anon]}}")
    return frozen_mapping({str(k): frozenset(_strings(v, where, f"{key}.{k}")) for k, v in value.items()})


class LazyPattern:
    """A rule's regex, compiled on first use (``load_rules(eager=False)``, for the pre-commit hook).

    Compiling ~300 regexes is most of the cost of loading the rules, and a staged scan needs only the
    few whose keywords occur in the staged lines. A regex that does not compile raises :class:`RuleError`
    naming its rule when first used; eager loading (the default) reports it at load time instead.
    """

    def __init__(self, pattern: str, where: str):
        self.pattern = pattern
        self._where = where
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = _compile_secret_regex(self.pattern, self._where)
        return self._compiled

    def __getattr__(self, name: str) -> Any:  # finditer, search, groupindex...
        return getattr(self.compiled(), name)


def _compile_secret_regex(source: Any, where: str) -> re.Pattern[str]:
    try:
        pattern = re.compile(source)
    except (re.error, TypeError) as exc:
        raise RuleError(f"{where}: regex does not compile: {exc}") from None
    if "secret" not in pattern.groupindex:
        raise RuleError(f"{where}: regex needs a named group (?P<secret>...)")
    return pattern


_PAIR_KEYS = {"anchor": True, "keywords": True, "value": True, "sibling_keys": False, "window": False,
              "anchor_title": False, "arguments": False}


@dataclass(frozen=True)
class Pair:
    """The other half of a credential pair (``pair:`` of a secret rule): where a value of ``anchor`` (the
    identifier, e.g. an AWS access key ID) is found, the value bound to this rule's half next to it is
    this rule's secret.

    The partner is the next string argument of the same call (``arguments``) or the value of one of
    ``sibling_keys`` (a key ending with one, word-wise and case-blind) within ``window`` lines; it must match
    ``value`` whole. It is masked everywhere, and reported as this rule when it passes the rule's gates.
    """

    anchor: re.Pattern[str]
    keywords: tuple[str, ...]
    value: re.Pattern[str]
    sibling_keys: frozenset[str]
    window: int
    anchor_title: str
    arguments: bool


def normalise_key(key: str) -> str:
    """How ``sibling_keys`` compare: ``AWS_SECRET_ACCESS_KEY``, ``awsSecretAccessKey`` -> ``awssecretaccesskey``."""
    return key.lower().replace("_", "").replace("-", "")


_KEY_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def key_endings(key: str) -> Iterator[str]:
    """``key`` normalised, then without each leading word: ``S3_SECRET_KEY`` -> ``s3secretkey``,
    ``secretkey``, ``key``. A sibling key matches a key that ends with it at a word boundary."""
    words = [w.lower() for w in _KEY_WORD.findall(key)]
    for index in range(len(words)):
        yield "".join(words[index:])


def _pair(raw: Any, where: str) -> Pair:
    if not isinstance(raw, dict):
        raise RuleError(f"{where}: 'pair' must be a mapping (or a list of mappings) with {sorted(_PAIR_KEYS)}")
    unknown = set(raw) - set(_PAIR_KEYS)
    missing = [k for k, required in _PAIR_KEYS.items() if required and k not in raw]
    if unknown or missing:
        raise RuleError(f"{where}: pair: unknown key(s) {sorted(unknown)}, missing {missing}")
    compiled = {}
    for key in ("anchor", "value"):
        try:
            compiled[key] = re.compile(raw[key])
        except (re.error, TypeError) as exc:
            raise RuleError(f"{where}: pair.{key} does not compile: {exc}") from None
    keywords = _strings(raw["keywords"], where, "pair.keywords")
    if not keywords:
        raise RuleError(f"{where}: pair.keywords must name at least one literal of the anchor")
    siblings = frozenset(normalise_key(k) for k in _strings(raw.get("sibling_keys"), where, "pair.sibling_keys"))
    window = raw.get("window", 3)
    if isinstance(window, bool) or not isinstance(window, int) or not 0 <= window <= 20:
        raise RuleError(f"{where}: pair.window must be a number of lines from 0 to 20")
    arguments = raw.get("arguments", True)
    if not isinstance(arguments, bool):
        raise RuleError(f"{where}: pair.arguments must be true or false")
    if not siblings and not arguments:
        raise RuleError(f"{where}: pair needs sibling_keys or arguments: true, or it can find nothing")
    title = raw.get("anchor_title", "its identifier")
    if not isinstance(title, str) or not title.strip():
        raise RuleError(f"{where}: pair.anchor_title must be a non-empty string")
    return Pair(compiled["anchor"], keywords, compiled["value"], siblings, window, title.strip(), arguments)


#: Value shapes a ``names`` entry may give (``value:``), with its ``length``: the provider's documented alphabet.
VALUE_SHAPES = {
    "hex": "[0-9a-fA-F]", "alnum": "[A-Za-z0-9]", "loweralnum": "[a-z0-9]", "upperalnum": "[A-Z0-9]",
    "base64": "[A-Za-z0-9+/=]", "urlsafe": "[A-Za-z0-9_-]", "token": "[A-Za-z0-9_.+/=~-]",
}
_UUID_SHAPE = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_NAMED_KEYS = {"provider", "name", "value", "length", "public"}
#: A provider name spelling: lowercase words, written with any separator or none in a key (``open weather``
#: matches ``OPENWEATHER_API_KEY``, ``open_weather_key``, ``OpenWeather Key``). Its first word is the
#: prefilter keyword, so it must be at least three characters.
_SPELLING = re.compile(r"^[a-z0-9]{3,}(?: [a-z0-9]+)*$")


@dataclass(frozen=True)
class NamedProvider:
    """One entry of a ``names`` table: a provider whose keys have no distinctive shape, recognised by its
    name next to a credential word, and the value its keys must be (``value`` regex, matched whole)."""

    provider: str
    spellings: tuple[str, ...]
    value: re.Pattern[str]
    #: The documented shape the ``value`` pattern was built from: an alphabet name (or ``uuid``), and lengths.
    shape: str = "token"
    length: tuple[int, int] = (16, 128)
    #: The provider's plain key or token is public by design (shipped to browsers: an analytics write key,
    #: a maps key, a chat widget id); only a credential qualified as secret, private, admin, server... counts.
    public: bool = False


@dataclass(frozen=True)
class NamedProviders:
    """A rule's ``names`` table: spelling (separators removed) -> entry, and the regex alternation of every
    spelling that the rule's regex holds in place of ``{names}`` (group ``name``)."""

    entries: tuple[NamedProvider, ...]
    by_spelling: Mapping[str, NamedProvider]

    def entry(self, name: str) -> NamedProvider | None:
        """The entry a matched ``name`` group belongs to (case and separators ignored)."""
        return self.by_spelling.get(re.sub(r"[^a-z0-9]", "", name.lower()))

    def alternation(self) -> str:
        """Every spelling as one trie-shaped regex (``ope(?:nai|n[ \t_.-]?weather)``): a match attempt costs
        the length of the name, not the number of providers (hundreds of alternatives tried one by one)."""
        return _trie_regex([s.split() for e in self.entries for s in e.spellings])

    def keywords(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.split()[0] for e in self.entries for s in e.spellings))


_SEPARATOR = "[ \\t_.-]?"  # between a spelling's words: OPEN_WEATHER, open-weather, OpenWeather, open weather


def _trie_regex(spellings: list[list[str]]) -> str:
    """A regex matching exactly the given spellings (lists of words), shaped as a trie; longer spellings are
    tried first."""
    trie: dict = {}
    for words in spellings:
        node = trie
        for unit in [c for index, word in enumerate(words) for c in ([" "] if index else []) + list(word)]:
            node = node.setdefault(unit, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [(_SEPARATOR if unit == " " else re.escape(unit)) + emit(child)
                    for unit, child in sorted(node.items()) if unit]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:  # a spelling ends here: the longer ones are tried first, then this one
            return f"(?:{body})?" if len(body) > 1 else f"{body}?"
        return body

    return emit(trie)


def _value_shape(raw: dict, where: str) -> tuple[str, tuple[int, int], re.Pattern[str]]:
    """The entry's shape name, lengths and the pattern its values must match whole."""
    shape = raw.get("value", "token")
    length = raw.get("length", [16, 128])
    if isinstance(length, int) and not isinstance(length, bool):
        length = [length, length]
    if not (isinstance(length, list) and len(length) == 2 and all(isinstance(n, int) for n in length)
            and 8 <= length[0] <= length[1] <= 512):
        raise RuleError(f"{where}: names: 'length' must be a number or [min, max] from 8 to 512")
    if shape == "uuid":
        return shape, (36, 36), re.compile(_UUID_SHAPE)
    if shape not in VALUE_SHAPES:
        raise RuleError(f"{where}: names: 'value' must be one of {sorted([*VALUE_SHAPES, 'uuid'])}, got {shape!r}")
    return shape, (length[0], length[1]), re.compile(f"{VALUE_SHAPES[shape]}{{{length[0]},{length[1]}}}")


def _named_providers(raw: Any, where: str) -> NamedProviders:
    if not isinstance(raw, list) or not raw:
        raise RuleError(f"{where}: 'names' must be a non-empty list of {{provider, name, value, length}} mappings")
    entries, by_spelling = [], {}
    for item in raw:
        if not isinstance(item, dict) or set(item) - _NAMED_KEYS or not {"provider", "name"} <= set(item):
            raise RuleError(f"{where}: names: each entry needs 'provider' and 'name' (and optional 'value', "
                            f"'length', 'public'), got {item!r}")
        spellings = _strings(item["name"], where, "names.name")
        bad = [s for s in spellings if not _SPELLING.match(s)]
        if bad:
            raise RuleError(f"{where}: names: spellings are lowercase words, the first of 3+ characters: {bad}")
        if not isinstance(item.get("public", False), bool):
            raise RuleError(f"{where}: names: 'public' must be true or false ({item['provider']})")
        shape, length, value = _value_shape(item, where)
        entry = NamedProvider(str(item["provider"]), spellings, value, shape, length, item.get("public", False))
        for spelling in spellings:
            key = spelling.replace(" ", "")
            if key in by_spelling:
                raise RuleError(f"{where}: names: {spelling!r} is listed twice ({by_spelling[key].provider})")
            by_spelling[key] = entry
        entries.append(entry)
    return NamedProviders(tuple(entries), frozen_mapping(by_spelling))


def _secret_options(options: dict[str, Any], where: str, eager: bool) -> dict[str, Any]:
    if "names" in options:  # the table's spellings go into the regex and the prefilter's keywords
        options["names"] = _named_providers(options["names"], where)
        if not isinstance(options["regex"], str) or "{names}" not in options["regex"]:
            raise RuleError(f"{where}: a rule with 'names' needs '{{names}}' in its regex")
        options["regex"] = options["regex"].replace("{names}", options["names"].alternation())
        options["keywords"] = [*options["names"].keywords(), *_strings(options["keywords"], where, "keywords")]
    if eager or not isinstance(options["regex"], str):
        options["regex"] = _compile_secret_regex(options["regex"], where)
    elif "(?P<secret>" not in options["regex"]:
        raise RuleError(f"{where}: regex needs a named group (?P<secret>...)")
    else:
        options["regex"] = LazyPattern(options["regex"], where)
    options["keywords"] = _strings(options["keywords"], where, "keywords")
    if not options["keywords"]:
        raise RuleError(f"{where}: a secret rule needs at least one keyword for the prefilter")
    if "entropy" in options and not isinstance(options["entropy"], (int, float)):
        raise RuleError(f"{where}: 'entropy' must be a number (bits per character)")
    if "paths" in options:
        import pathspec

        options["paths"] = pathspec.GitIgnoreSpec.from_lines(_strings(options["paths"], where, "paths"))
    for key in ("multiline", "anchored", "literal"):
        if not isinstance(options.get(key, False), bool):
            raise RuleError(f"{where}: {key!r} must be true or false")
    for key in ("jwt_require", "jwt_reject"):
        if key in options:
            options[key] = _claim_table(options[key], where, key)
    if "extract" in options and options["extract"] not in EXTRACTORS:
        raise RuleError(f"{where}: 'extract' must be one of {sorted(EXTRACTORS)}, got {options['extract']!r}")
    if "pair" in options:
        raw = options["pair"]
        options["pair"] = tuple(_pair(item, where) for item in (raw if isinstance(raw, list) else [raw]))
    try:
        options["allow"] = tuple(re.compile(p) for p in _strings(options.get("allow"), where, "allow"))
    except re.error as exc:
        raise RuleError(f"{where}: an 'allow' pattern does not compile: {exc}") from None
    return options


def parse_rule(raw: Any, where: str, eager: bool = True) -> Rule:
    """Validate one rule mapping (``eager=False``: secret regexes compile on first use)."""
    if not isinstance(raw, dict):
        raise RuleError(f"{where}: a rule must be a mapping")
    rule_id = raw.get("id", "?")
    where = f"{where} (rule {rule_id})"
    missing = [k for k in _COMMON_REQUIRED if k not in raw]
    if missing:
        raise RuleError(f"{where}: missing required key(s) {missing}")
    kind = raw["kind"]
    if kind not in RULE_KINDS:
        raise RuleError(f"{where}: kind must be one of {list(RULE_KINDS)}, got {kind!r}")
    kind_keys = _KIND_KEYS[kind]
    unknown = set(raw) - set(_COMMON_REQUIRED) - set(_COMMON_OPTIONAL) - set(kind_keys)
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {sorted(unknown)}")
    missing = [k for k, required in kind_keys.items() if required and k not in raw]
    if missing:
        raise RuleError(f"{where}: a {kind} rule needs {missing}")
    if not isinstance(rule_id, str) or not RULE_ID_PATTERN.match(rule_id):
        raise RuleError(f"{where}: id must be kebab-case (a-z, 0-9, single dashes)")
    if raw["check"] not in CHECKS:
        raise RuleError(f"{where}: check must be one of {list(CHECKS)}, got {raw['check']!r}")
    for key in ("title", "description", "remediation"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise RuleError(f"{where}: {key!r} must be a non-empty string")
    try:
        severity = Severity.parse(str(raw["severity"]))
        confidence = Confidence.parse(str(raw.get("confidence", "high")))
    except ValueError as exc:
        raise RuleError(f"{where}: {exc}") from None
    cwe = _strings(raw.get("cwe"), where, "cwe")
    bad_cwe = [c for c in cwe if not _CWE.match(c)]
    if bad_cwe:
        raise RuleError(f"{where}: CWE ids look like 'CWE-798', got {bad_cwe}")
    options = {k: raw[k] for k in kind_keys if k in raw}
    if kind == "secret":
        options = _secret_options(options, where, eager)
    return Rule(
        id=rule_id,
        title=raw["title"].strip(),
        kind=kind,
        severity=severity,
        confidence=confidence,
        check=raw["check"],
        description=raw["description"].strip(),
        remediation=raw["remediation"].strip(),
        examples=_examples(raw["examples"], kind, where),
        cwe=cwe,
        owasp=_strings(raw.get("owasp"), where, "owasp"),
        references=_strings(raw.get("references"), where, "references"),
        source_file=where.split(" (rule")[0],
        options=frozen_mapping(options),
    )


#: libyaml's safe loader when PyYAML has it (about ten times faster: rules load on every pre-commit run).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _rules_in_file(path: Path, base: Path, eager: bool) -> Iterator[Rule]:
    where = path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RuleError(f"{where}: cannot load: {exc}") from None
    if isinstance(data, dict) and "rules" in data and "id" not in data:
        items = data["rules"]
        if not isinstance(items, list):
            raise RuleError(f"{where}: 'rules' must be a list")
    else:
        items = [data]
    for item in items:
        yield parse_rule(item, where, eager)


def load_rules(directory: Path | None = None, eager: bool = True) -> Registry:
    """Load every ``*.yaml`` rule below ``directory`` (default: :func:`rules_dir`).

    ``eager=False`` defers compiling secret regexes to their first use (see :class:`LazyPattern`).
    """
    base = directory or rules_dir()
    if not base.is_dir():
        raise RuleError(f"rules directory not found: {base}")
    rules: dict[str, Rule] = {}
    for path in sorted(base.rglob("*.yaml")):
        for rule in _rules_in_file(path, base, eager):
            if rule.id in rules:
                raise RuleError(f"{rule.source_file}: duplicate rule id {rule.id!r} "
                                f"(also in {rules[rule.id].source_file})")
            rules[rule.id] = rule
    return Registry(frozen_mapping(rules))


@cache
def default_registry(eager: bool = True) -> Registry:
    """The shipped rules, loaded once per process (``eager=False``: regexes compile on first use)."""
    return load_rules(eager=eager)
