"""Hard-coded secrets in browser code: literals that would ship to every visitor.

Looks, in one module's tree, for string literals given to something that holds a credential:

- an env read with a literal fallback: ``process.env.X || "..."``, ``import.meta.env.X ?? "..."``;
- SDK clients: ``new Stripe("...")``, ``new OpenAI({ apiKey: "..." })``, ``new GoogleGenerativeAI("...")``
  (the first argument of any ``new`` whose class names a known AI, payment or messaging SDK);
- properties, fields, variables and assignments named like a credential (``apiKey``, ``token``,
  ``testingPassword``, ``Authorization``, ``'x-api-key'``), which covers axios default headers and
  interceptors (``config.headers.Authorization = "Bearer ..."``).

A literal counts when it looks like a working credential (:func:`scanner.analysis.env.dotenv.looks_real`,
the same test as for env files): a provider key format, or a random-looking value. Letters-only values
count only for password names (people type passwords; generated keys have digits).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from scanner.analysis.env.dotenv import looks_real, provider_format
from scanner.lang.javascript.parse import _parser, dialect_of, last_name, string_value

if TYPE_CHECKING:
    from tree_sitter import Node

    from scanner.lang.javascript.parse import JsTree

#: Classes of SDKs whose first constructor argument (or ``apiKey`` option) is a secret key.
SDK_CLASSES = frozenset({
    "Stripe", "OpenAI", "AzureOpenAI", "Anthropic", "GoogleGenerativeAI", "GoogleGenAI", "Groq", "Mistral",
    "MistralClient", "CohereClient", "CohereClientV2", "Replicate", "Pinecone", "ElevenLabsClient", "Resend",
    "Twilio", "Together", "HfInference", "InferenceClient", "Deepgram", "AssemblyAI", "Tavily", "Firecrawl",
    "FirecrawlApp", "Perplexity", "LumaAI", "Runway", "Octokit", "Airtable", "Vapi", "Retell", "Tavus",
    "ChatOpenAI", "ChatAnthropic", "ChatGoogleGenerativeAI", "OpenAIEmbeddings", "Configuration",
})
#: Options of those constructors that carry the key.
_KEY_OPTIONS = frozenset({"apiKey", "api_key", "openAIApiKey", "anthropicApiKey", "auth", "token", "accessToken",
                          "secretKey", "authToken"})
#: Keys and headers that carry a credential: a value put there is a secret whatever its variable is called.
_CREDENTIAL_HEADER = re.compile(r"(?i)^(?:authorization|(?:[a-z]+[-_])?api[-_]?key|x[-_]auth[-_]token|access[-_]?token|"
                                r"auth[-_]?token|[a-z]*secret[a-z_]*|apikey)$")
#: Sibling keys of a Firebase web config, whose ``apiKey`` is public by design.
_PUBLIC_CONFIG_KEYS = frozenset({"authDomain", "projectId", "messagingSenderId", "storageBucket", "measurementId"})
_HEADER_NAMES = {"authorization": "AUTH_TOKEN", "x-api-key": "API_KEY", "api-key": "API_KEY",
                 "x-auth-token": "AUTH_TOKEN", "apikey": "API_KEY", "x-access-token": "ACCESS_TOKEN"}
_SCHEME = re.compile(r"^(?:Bearer|Basic|Token|Bot)\s+", re.IGNORECASE)
_ENV_READ = re.compile(r"^(?:process\.env|import\.meta\.env)(?:\.(?P<a>\w+)|\[\s*['\"](?P<b>\w+)['\"]\s*\])$")
#: A URL path or route (``api/v2/user/reset-password``), not a credential.
_PATH = re.compile(r"^/|^[a-z0-9._~-]*(?:/[a-z0-9._~{}:-]*)+$")
_PASSWORD_NAME = re.compile(r"(?:PASSWORD|PASSWD|PWD)$")


class Literal(NamedTuple):
    """A credential-looking literal: its node (the string), the name it was given to, and why it counts."""

    node: Node
    value: str
    name: str
    how: str


def env_name(text: str) -> str | None:
    """``X`` for ``process.env.X`` / ``import.meta.env["X"]``, else None."""
    match = _ENV_READ.match(text.replace(" ", ""))
    return (match.group("a") or match.group("b")) if match else None


def snake(name: str) -> str:
    """``testingPassword`` -> ``TESTING_PASSWORD``; header names map to what they carry."""
    name = name.strip("'\"`")
    if name.lower() in _HEADER_NAMES:
        return _HEADER_NAMES[name.lower()]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).replace("-", "_").upper()


def counts(name: str, value: str) -> bool:
    """Does ``value``, given to ``name``, look like a working credential?"""
    value = _SCHEME.sub("", value)
    if name == "KEY" or _PATH.match(value):  # a bare ``key`` is a React/cache/i18n key; paths are routes
        return False
    if not provider_format(value) and value.isalpha() and not _PASSWORD_NAME.search(name):
        return False
    return looks_real(name, value)


_STRING = "[(string) (template_string)]"
#: Nodes that hand a string literal to something: found by one tree-sitter query (in C), not a Python walk.
_CANDIDATES = (f"[(pair value: {_STRING}) (variable_declarator value: {_STRING}) "
               f"(assignment_expression right: {_STRING}) (binary_expression right: {_STRING}) "
               f"(new_expression arguments: (arguments . {_STRING}))] @node\n")
_FIELD = {"javascript": f"(field_definition value: {_STRING}) @node",
          "typescript": f"(public_field_definition value: {_STRING}) @node",
          "tsx": f"(public_field_definition value: {_STRING}) @node"}


@cache
def _query(dialect: str):
    from tree_sitter import Query

    return Query(_parser(dialect).language, _CANDIDATES + _FIELD[dialect])


def _candidates(tree: JsTree) -> list[Node]:
    from tree_sitter import QueryCursor

    found = QueryCursor(_query(dialect_of(tree.ctx.artifact.path))).captures(tree.root).get("node", [])
    return sorted(found, key=lambda n: n.start_byte)


def secret_literals(tree: JsTree) -> Iterator[Literal]:
    """Credential-looking literals in one module, each reported once."""
    seen: set[int] = set()
    for node in _candidates(tree):
        for found in _at(tree, node):
            if found.node.start_byte not in seen and counts(found.name, _SCHEME.sub("", found.value)):
                seen.add(found.node.start_byte)
                yield found


def sdk_key_env_names(tree: JsTree) -> set[str]:
    """Variables whose value a module hands to an SDK as its key: ``new OpenAI({ apiKey: process.env.X })``,
    ``new Stripe(key)`` with ``const key = import.meta.env.Y``. Such a variable is a secret whatever its name."""
    env_of: dict[str, str] = {}  # local const -> the env variable it holds
    constructors = []
    for node in tree.walk():
        if node.type == "variable_declarator":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            held = _env_in(tree, value)
            if name is not None and name.type == "identifier" and held:
                env_of[tree.text(name)] = held
        elif node.type == "new_expression":
            ctor = node.child_by_field_name("constructor")
            if ctor is not None and tree.text(ctor).split(".")[-1] in SDK_CLASSES:
                constructors.append(node)
    names: set[str] = set()
    for node in tree.walk():  # credential headers: ``config.headers["xi-api-key"] = key``, ``Authorization: ...``
        target = value = None
        if node.type == "pair" and not _in_public_config(tree, node.parent):
            target, value = _key_of(tree, node), node.child_by_field_name("value")
        elif node.type == "assignment_expression":
            left = node.child_by_field_name("left")
            target, value = (last_name(tree, left) if left is not None else None), node.child_by_field_name("right")
        if target and _CREDENTIAL_HEADER.search(target) and value is not None:
            held = _held_env(tree, value, env_of)
            if held:
                names.add(held)
    for node in constructors:
        args = node.child_by_field_name("arguments")
        for arg in args.named_children[:1] if args is not None else ():
            candidates = [arg]
            if arg.type == "object":
                candidates = [p.child_by_field_name("value") for p in arg.named_children
                              if p.type == "pair" and _key_of(tree, p) in _KEY_OPTIONS]
                candidates += [p for p in arg.named_children
                               if p.type == "shorthand_property_identifier" and tree.text(p) in _KEY_OPTIONS]
            for value in candidates:
                held = _held_env(tree, value, env_of) if value is not None else None
                if held:
                    names.add(held)
    return names


def _held_env(tree: JsTree, value: Node, env_of: dict[str, str]) -> str | None:
    """The env variable ``value`` carries: read directly, through a local const, or inside a template string."""
    held = _env_in(tree, value) or env_of.get(tree.text(value))
    if held is None and value.type == "template_string":
        for sub in value.named_children:
            if sub.type == "template_substitution" and sub.named_children:
                inner = sub.named_children[0]
                held = held or _env_in(tree, inner) or env_of.get(tree.text(inner))
    return held


def _in_public_config(tree: JsTree, obj: Node | None) -> bool:
    """An object that is a Firebase web config (``apiKey`` next to ``authDomain``/``projectId``): public by design."""
    if obj is None or obj.type != "object":
        return False
    keys = {_key_of(tree, p) for p in obj.named_children if p.type == "pair"}
    keys |= {tree.text(p) for p in obj.named_children if p.type == "shorthand_property_identifier"}
    return bool(keys & _PUBLIC_CONFIG_KEYS)


def _key_of(tree: JsTree, pair: Node) -> str:
    key = pair.child_by_field_name("key")
    return tree.text(key).strip("'\"") if key is not None else ""


def _env_in(tree: JsTree, node: Node | None) -> str | None:
    """The env variable an expression reads: ``process.env.X``, ``process.env.X!``, ``(import.meta.env.X as string)``,
    ``process.env.X || ""``."""
    while node is not None and node.type in {"non_null_expression", "parenthesized_expression", "as_expression",
                                              "satisfies_expression", "binary_expression"}:
        node = node.child_by_field_name("left") if node.type == "binary_expression" else \
            (node.named_children[0] if node.named_children else None)
    return env_name(tree.text(node)) if node is not None and node.type in {"member_expression",
                                                                          "subscript_expression"} else None


def _string(tree: JsTree, node: Node | None) -> str | None:
    return string_value(tree, node) if node is not None else None


def _at(tree: JsTree, node: Node) -> Iterator[Literal]:
    kind = node.type
    if kind == "binary_expression":
        operator = node.child_by_field_name("operator")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if operator is not None and tree.text(operator) in {"||", "??"} and left is not None:
            name = env_name(tree.text(left))
            value = _string(tree, right)
            if name and value is not None:
                yield Literal(right, value, name, f"fallback for {name}")
    elif kind == "new_expression":
        ctor = node.child_by_field_name("constructor")
        args = node.child_by_field_name("arguments")
        if ctor is None or args is None or tree.text(ctor).split(".")[-1] not in SDK_CLASSES:
            return
        cls = tree.text(ctor).split(".")[-1]
        first = args.named_children[0] if args.named_children else None
        value = _string(tree, first)
        if value is not None:
            yield Literal(first, value, "API_KEY", f"new {cls}(...)")
    elif kind == "pair" and not _in_public_config(tree, node.parent):
        key, value_node = node.child_by_field_name("key"), node.child_by_field_name("value")
        value = _string(tree, value_node)
        if key is not None and value is not None:
            yield Literal(value_node, value, snake(tree.text(key)), f"{tree.text(key).strip(chr(39) + chr(34))}: ...")
    elif kind in {"variable_declarator", "public_field_definition", "field_definition"}:
        name = node.child_by_field_name("name") or node.child_by_field_name("property")
        value_node = node.child_by_field_name("value")
        value = _string(tree, value_node)
        if name is not None and value is not None and name.type in {"identifier", "property_identifier"}:
            yield Literal(value_node, value, snake(tree.text(name)), f"{tree.text(name)} = ...")
    elif kind == "assignment_expression":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        value = _string(tree, right)
        if left is None or value is None:
            return
        target = last_name(tree, left)
        if target:
            yield Literal(right, value, snake(target), f"{tree.text(left)} = ...")

