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
from typing import TYPE_CHECKING, NamedTuple

from scanner.analysis.env.dotenv import looks_real, provider_format
from scanner.lang.javascript.parse import string_value

if TYPE_CHECKING:
    from tree_sitter import Node

    from scanner.lang.javascript.parse import JsTree

#: Classes of SDKs whose first constructor argument (or ``apiKey`` option) is a secret key.
SDK_CLASSES = frozenset({
    "Stripe", "OpenAI", "AzureOpenAI", "Anthropic", "GoogleGenerativeAI", "GoogleGenAI", "Groq", "Mistral",
    "MistralClient", "CohereClient", "CohereClientV2", "Replicate", "Pinecone", "ElevenLabsClient", "Resend",
    "Twilio", "Together", "HfInference", "InferenceClient", "Deepgram", "AssemblyAI", "Tavily", "Firecrawl",
    "FirecrawlApp", "Perplexity", "LumaAI", "Runway", "Octokit", "Airtable", "Vapi", "Retell", "Tavus",
})
_HEADER_NAMES = {"authorization": "AUTH_TOKEN", "x-api-key": "API_KEY", "api-key": "API_KEY",
                 "x-auth-token": "AUTH_TOKEN", "apikey": "API_KEY", "x-access-token": "ACCESS_TOKEN"}
_SCHEME = re.compile(r"^(?:Bearer|Basic|Token|Bot)\s+", re.IGNORECASE)
_ENV_READ = re.compile(r"^(?:process\.env|import\.meta\.env)(?:\.(?P<a>\w+)|\[\s*['\"](?P<b>\w+)['\"]\s*\])$")
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
    if value.startswith("/"):
        return False
    if not provider_format(value) and value.isalpha() and not _PASSWORD_NAME.search(name):
        return False
    return looks_real(name, value)


def secret_literals(tree: JsTree) -> Iterator[Literal]:
    """Credential-looking literals in one module, each reported once."""
    seen: set[int] = set()
    for node in tree.walk():
        for found in _at(tree, node):
            if found.node.start_byte not in seen and counts(found.name, _SCHEME.sub("", found.value)):
                seen.add(found.node.start_byte)
                yield found


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
    elif kind == "pair":
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
        target = _last_name(tree, left)
        if target:
            yield Literal(right, value, snake(target), f"{tree.text(left)} = ...")


def _last_name(tree: JsTree, node: Node) -> str | None:
    """``headers.Authorization`` -> ``Authorization``; ``headers["x-api-key"]`` -> ``x-api-key``."""
    if node.type == "identifier":
        return tree.text(node)
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return tree.text(prop) if prop is not None else None
    if node.type == "subscript_expression":
        return _string(tree, node.child_by_field_name("index"))
    return None
