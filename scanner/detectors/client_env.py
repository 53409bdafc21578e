"""Secrets that reach the browser: client-exposed env names, bundler configs that inline server env,
and LLM SDK clients built to run in the browser.

Front-end toolchains copy variables with certain prefixes (``NEXT_PUBLIC_``, ``VITE_``, ``REACT_APP_``...)
into the JavaScript every visitor downloads. A secret behind such a name is public the moment the site
deploys, whatever the value's format, so these checks work on names and configuration, not on values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from scanner.context import Context, Hit
from scanner.detectors.base import Detector
from scanner.model import Artifact

#: Prefixes that front-end build tools inline into client bundles.
CLIENT_PREFIXES = ("NEXT_PUBLIC_", "VITE_", "REACT_APP_", "EXPO_PUBLIC_", "NUXT_PUBLIC_", "GATSBY_", "VUE_APP_",
                   "PUBLIC_")
_CLIENT_NAME = re.compile(r"(?<![A-Za-z0-9_])(?P<name>(?:" + "|".join(CLIENT_PREFIXES) + r")[A-Z0-9_]+)")

#: Words that mean "secret" when nothing but a value-kind word follows them (``DB_PASSWORD``,
#: ``STRIPE_SECRET_KEY``; not ``PASSWORD_MIN_LENGTH``).
_SECRET_WORDS = {"SECRET", "PRIVATE", "PASSWORD", "PASSWD", "CREDENTIALS"}
_VALUE_WORDS = {"KEY", "TOKEN", "VALUE", "B64", "BASE64", "PEM", "STRING", "URL", "URI"}
_SECRET_PHRASES = ("SERVICE_ROLE", "SERVICE_KEY", "ADMIN_KEY", "ADMIN_TOKEN", "DATABASE_URL", "DB_URL",
                   "CONNECTION_STRING", "SIGNING_KEY")
#: Providers whose keys are server-only: any KEY/TOKEN of theirs in a client name is a leak.
_SERVER_ONLY_PROVIDERS = {
    "OPENAI", "ANTHROPIC", "CLAUDE", "GROQ", "MISTRAL", "COHERE", "REPLICATE", "HUGGINGFACE", "HF", "ELEVENLABS",
    "PINECONE", "PERPLEXITY", "XAI", "OPENROUTER", "DEEPSEEK", "TOGETHER", "FIREWORKS", "GEMINI", "RESEND",
    "SENDGRID", "MAILGUN", "POSTMARK", "BREVO", "TWILIO", "GITHUB", "AWS", "LANGCHAIN", "LANGSMITH",
}
#: Name parts that mark a value designed to be public (Firebase's web config is public by design).
_PUBLIC_MARKERS = ("PUBLISHABLE", "PUBLIC_KEY", "ANON", "SITE_KEY", "CLIENT_ID", "MEASUREMENT_ID", "APP_ID",
                   "FIREBASE")


def is_secret_name(suffix: str) -> bool:
    """Does a variable name (without its client prefix) say it holds a server-side secret?"""
    if any(marker in suffix for marker in _PUBLIC_MARKERS):
        return False
    if any(phrase in suffix for phrase in _SECRET_PHRASES):
        return True
    words = suffix.split("_")
    for index, word in enumerate(words):
        if word in _SECRET_WORDS and set(words[index + 1:]) <= _VALUE_WORDS:
            return True
    return words[-1] in {"KEY", "TOKEN", "APIKEY"} and bool(set(words) & _SERVER_ONLY_PROVIDERS)


def _strip_prefix(name: str) -> str:
    return next(name[len(p):] for p in CLIENT_PREFIXES if name.startswith(p))


_NEXT_CONFIG_ENV = re.compile(r"(?<![A-Za-z0-9_.])env\s*:\s*\{(?P<body>[^{}]*)\}")
_CONFIG_KEY = re.compile(r"(?P<name>[A-Z][A-Z0-9_]{2,})\s*:")
_EMPTY_ENV_PREFIX = re.compile(r"envPrefix\s*:\s*(?:''|\"\"|``|\[\s*(?:''|\"\"|``))")
_WHOLE_PROCESS_ENV = re.compile(
    r"""['"]process\.env['"]\s*:\s*(?:JSON\.stringify\(\s*)?process\.env\b(?!\s*\.)(?!\s*\[)""")
_BROWSER_LLM_CLIENT = re.compile(r"dangerouslyAllowBrowser\s*:\s*true\b")
_JS_KINDS = frozenset({"javascript", "typescript"})
#: Text files where build-time environment is configured (CI workflows, Dockerfiles, host configs).
_BUILD_CONFIG_NAMES = frozenset({
    "Dockerfile", "vercel.json", "netlify.toml", "fly.toml", "render.yaml", "amplify.yml", "eas.json", "app.json",
    ".gitlab-ci.yml", "bitbucket-pipelines.yml", "cloudbuild.yaml", "azure-pipelines.yml",
})


def is_build_config(path: str) -> bool:
    """CI workflows and hosting/container configs, where client-prefixed variables get their values."""
    posix = PurePosixPath(path)
    return (posix.name in _BUILD_CONFIG_NAMES or posix.name.startswith(("docker-compose", "compose."))
            or "/.github/workflows/" in f"/{path}" or "/.circleci/" in f"/{path}")


class ClientEnvDetector(Detector):
    """Implements the client-exposure rules over env files, JS/TS sources and bundler configs."""

    rule_ids = ("client-env-secret-name", "bundler-exposes-server-env", "llm-client-in-browser")
    kinds = frozenset({"env", "javascript", "typescript", "text"})

    def detect(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        text = artifact.text
        if "client-env-secret-name" in self.rules:
            yield from self._secret_names(artifact, ctx)
        if artifact.kind not in _JS_KINDS:
            return
        if "bundler-exposes-server-env" in self.rules:
            yield from self._bundler_config(artifact, ctx)
        if "llm-client-in-browser" in self.rules and "dangerouslyAllowBrowser" in text:
            for match in _BROWSER_LLM_CLIENT.finditer(text):
                yield ctx.finding("llm-client-in-browser", ctx.span(*match.span()),
                                  message="LLM SDK client created with dangerouslyAllowBrowser: true: "
                                          "its API key ships to every visitor")

    def _secret_names(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        if artifact.kind == "text" and not is_build_config(artifact.path):
            return
        seen: set[str] = set()
        for match in _CLIENT_NAME.finditer(artifact.text):
            name = match.group("name")
            if name in seen or not is_secret_name(_strip_prefix(name)):
                continue
            if artifact.kind == "env" and _in_env_comment(artifact.text, match.start()):
                continue
            seen.add(name)
            yield ctx.finding("client-env-secret-name", ctx.span(*match.span("name")), key=name,
                              message=f"{name} looks like a secret but its prefix puts it in the browser bundle",
                              variable=name)

    def _bundler_config(self, artifact: Artifact, ctx: Context) -> Iterator[Hit]:
        name = PurePosixPath(artifact.path).name
        text = artifact.text
        if name.startswith("next.config."):
            for block in _NEXT_CONFIG_ENV.finditer(text):
                for key in _CONFIG_KEY.finditer(block.group("body")):
                    variable = key.group("name")
                    if is_secret_name(variable):
                        start = block.start("body") + key.start("name")
                        yield ctx.finding("bundler-exposes-server-env", ctx.span(start, start + len(variable)),
                                          key=f"next-env:{variable}", variable=variable,
                                          message=f"next.config `env` inlines {variable} into client JavaScript")
        if name.startswith("vite.config."):
            for match in _EMPTY_ENV_PREFIX.finditer(text):
                yield ctx.finding("bundler-exposes-server-env", ctx.span(*match.span()), key="vite-env-prefix",
                                  message="Vite envPrefix '' exposes every environment variable to client code")
        for match in _WHOLE_PROCESS_ENV.finditer(text):
            yield ctx.finding("bundler-exposes-server-env", ctx.span(*match.span()), key="define-process-env",
                              message="The whole process.env is defined into the client bundle")


def _in_env_comment(text: str, offset: int) -> bool:
    line_start = text.rfind("\n", 0, offset) + 1
    return text[line_start:offset].lstrip().startswith("#")
