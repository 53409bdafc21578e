"""A held-out labelled set of provider secrets, generated from the providers' documented key formats.

    .venv/bin/python bench/secrets_heldout.py OUT.jsonl            # write the samples (fixed seed)
    .venv/bin/python bench/secrets_accuracy.py --cases OUT.jsonl   # measure on them

Why: ``gitleaks_cases.jsonl`` is another scanner's test data, so it measures how close a scanner is to
gitleaks. This set is written from the providers' own pages (each format below names its reference):
the prefix, alphabet, length and, where documented, the checksum of each key, generated with a fixed seed,
written the way keys are committed (``.env``, YAML, JSON, Python and TypeScript code, curl headers, a log
line), plus negatives a reviewer would reject: placeholders, redactions, environment references, a key's
format described in prose, public identifiers the providers document as safe to expose, and random-looking
non-secrets (commit SHAs, image digests, integrity hashes, UUID ids, data URIs, public keys).

Held out: it was written before any rule was tuned on it, and rules must not be tuned to it; its figures
are reported as measured (docs/secrets.md). The values are generated here at run time, so the repository
holds no key-shaped string.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import string
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

ALNUM = string.ascii_letters + string.digits
ALPHABETS = {
    "alnum": ALNUM, "lower": string.ascii_lowercase, "upper": string.ascii_uppercase, "digits": string.digits,
    "hex": "0123456789abcdef", "HEX": "0123456789ABCDEF", "loweralnum": string.ascii_lowercase + string.digits,
    "upperalnum": string.ascii_uppercase + string.digits, "base64": ALNUM + "+/", "urlsafe": ALNUM + "-_",
    "base32": string.ascii_uppercase + "234567", "bech32": "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
}


def draw(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(ALPHABETS[alphabet]) for _ in range(n))


def base62_crc32(text: str, width: int = 6) -> str:
    """GitHub's and npm's token checksum: CRC32 of the prefix and random part, in base 62, left-padded."""
    value, digits = zlib.crc32(text.encode()), string.digits + string.ascii_letters
    out = ""
    while value:
        value, rem = divmod(value, 62)
        out = digits[rem] + out
    return out.rjust(width, "0")


def checksummed(prefix: str, random_len: int) -> Callable[[random.Random], str]:
    def make(rng: random.Random) -> str:
        body = draw(rng, "alnum", random_len)
        return prefix + body + base62_crc32(prefix + body)
    return make


def pattern(template: str) -> Callable[[random.Random], str]:
    """``"sk_live_{alnum:24}"``: literal text with ``{alphabet:n}`` fields."""
    parts = template.replace("}", "{").split("{")

    def make(rng: random.Random) -> str:
        out = []
        for index, part in enumerate(parts):
            if index % 2:
                alphabet, n = part.split(":")
                out.append(draw(rng, alphabet, int(n)))
            else:
                out.append(part)
        return "".join(out)
    return make


def uuid4(rng: random.Random) -> str:
    h = draw(rng, "hex", 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{rng.choice('89ab')}{h[17:20]}-{h[20:]}"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwt(claims: dict) -> Callable[[random.Random], str]:
    def make(rng: random.Random) -> str:
        header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = b64url(json.dumps({**claims, "iat": 1735689600, "exp": 2051222400}).encode())
        return f"{header}.{payload}.{draw(rng, 'urlsafe', 43)}"
    return make


def sentry_org(rng: random.Random) -> str:
    payload = json.dumps({"iat": 1735689600.5, "url": "https://sentry.io", "region_url": "https://us.sentry.io",
                          "org": "acme-" + draw(rng, "lower", 6)})
    return "sntrys_" + base64.b64encode(payload.encode()).decode() + "_" + draw(rng, "base64", 43)


def azure_storage(rng: random.Random) -> str:
    key = base64.b64encode(rng.randbytes(64)).decode()
    return (f"DefaultEndpointsProtocol=https;AccountName=acme{draw(rng, 'loweralnum', 8)};AccountKey={key};"
            "EndpointSuffix=core.windows.net")


def pem_private_key(rng: random.Random) -> str:
    body = base64.b64encode(rng.randbytes(600)).decode()
    lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN PRIVATE KEY-----\n{lines}\n-----END PRIVATE KEY-----"


class Format(NamedTuple):
    """A provider's secret: a name used for it in configuration, how its values look, where that is documented.
    ``named``: the value has no distinctive shape, so positives keep the provider's name next to it."""

    provider: str
    env: str
    make: Callable[[random.Random], str]
    reference: str
    named: bool = False


#: Secret formats, each from the provider's documentation (or, where noted, its published source code).
FORMATS: tuple[Format, ...] = (
    Format("GitHub classic PAT", "GITHUB_TOKEN", checksummed("ghp_", 30),
           "https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/"),
    Format("GitHub OAuth token", "GH_OAUTH_TOKEN", checksummed("gho_", 30),
           "https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/"),
    Format("GitHub fine-grained PAT", "GITHUB_PAT", pattern("github_pat_{alnum:22}_{alnum:59}"),
           "https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/managing-your-personal-access-tokens"),
    Format("GitLab PAT", "GITLAB_TOKEN", pattern("glpat-{urlsafe:20}"),
           "https://docs.gitlab.com/ee/security/tokens/"),
    Format("npm access token", "NPM_TOKEN", checksummed("npm_", 30),
           "https://github.blog/changelog/2021-09-23-npm-has-a-new-access-token-format/"),
    Format("PyPI API token", "PYPI_TOKEN", pattern("pypi-AgEIcHlwaS5vcmc{urlsafe:70}"),
           "https://pypi.org/help/#apitoken"),
    Format("Stripe secret key", "STRIPE_SECRET_KEY", pattern("sk_live_{alnum:99}"),
           "https://docs.stripe.com/keys"),
    Format("Stripe restricted key", "STRIPE_RESTRICTED_KEY", pattern("rk_live_{alnum:99}"),
           "https://docs.stripe.com/keys"),
    Format("Stripe webhook secret", "STRIPE_WEBHOOK_SECRET", pattern("whsec_{alnum:32}"),
           "https://docs.stripe.com/webhooks#verify-official-libraries"),
    Format("OpenAI project key", "OPENAI_API_KEY", pattern("sk-proj-{urlsafe:74}T3BlbkFJ{urlsafe:74}"),
           "https://platform.openai.com/docs/api-reference/authentication"),
    Format("Anthropic API key", "ANTHROPIC_API_KEY", pattern("sk-ant-api03-{urlsafe:93}AA"),
           "https://docs.anthropic.com/en/api/getting-started"),
    Format("Hugging Face token", "HF_TOKEN", pattern("hf_{alnum:34}"),
           "https://huggingface.co/docs/hub/security-tokens"),
    Format("Slack bot token", "SLACK_BOT_TOKEN", pattern("xoxb-{digits:12}-{digits:13}-{alnum:24}"),
           "https://api.slack.com/concepts/token-types"),
    Format("Slack webhook", "SLACK_WEBHOOK_URL",
           pattern("https://hooks.slack.com/services/T{upperalnum:10}/B{upperalnum:10}/{alnum:24}"),
           "https://api.slack.com/messaging/webhooks"),
    Format("AWS access key pair", "AWS_SECRET_ACCESS_KEY", pattern("{base64:40}"),
           "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html", named=True),
    Format("Google API key", "GOOGLE_MAPS_SERVER_KEY", pattern("AIza{urlsafe:35}"),
           "https://cloud.google.com/docs/authentication/api-keys"),
    Format("SendGrid API key", "SENDGRID_API_KEY", pattern("SG.{urlsafe:22}.{urlsafe:43}"),
           "https://www.twilio.com/docs/sendgrid/ui/account-and-settings/api-keys"),
    Format("Twilio auth token", "TWILIO_AUTH_TOKEN", pattern("{hex:32}"),
           "https://www.twilio.com/docs/iam/api/authtoken", named=True),
    Format("Twilio API key secret", "TWILIO_API_SECRET", pattern("{alnum:32}"),
           "https://www.twilio.com/docs/iam/api-keys", named=True),
    Format("Shopify admin token", "SHOPIFY_ACCESS_TOKEN", pattern("shpat_{hex:32}"),
           "https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens"),
    Format("DigitalOcean token", "DIGITALOCEAN_TOKEN", pattern("dop_v1_{hex:64}"),
           "https://docs.digitalocean.com/reference/api/create-personal-access-token/"),
    Format("Databricks token", "DATABRICKS_TOKEN", pattern("dapi{hex:32}"),
           "https://docs.databricks.com/en/dev-tools/auth/pat.html"),
    Format("Postman API key", "POSTMAN_API_KEY", pattern("PMAK-{hex:24}-{hex:34}"),
           "https://learning.postman.com/docs/developer/postman-api/authentication/"),
    Format("New Relic user key", "NEW_RELIC_API_KEY", pattern("NRAK-{upperalnum:27}"),
           "https://docs.newrelic.com/docs/apis/intro-apis/new-relic-api-keys/"),
    Format("Dynatrace API token", "DT_API_TOKEN", pattern("dt0c01.{upperalnum:24}.{upperalnum:64}"),
           "https://docs.dynatrace.com/docs/dynatrace-api/basics/dynatrace-api-authentication"),
    Format("Sentry org token", "SENTRY_AUTH_TOKEN", sentry_org,
           "https://docs.sentry.io/account/auth-tokens/ (getsentry/sentry orgauthtoken_token.py)"),
    Format("Grafana service account token", "GRAFANA_TOKEN", pattern("glsa_{alnum:32}_{hex:8}"),
           "https://grafana.com/docs/grafana/latest/administration/service-accounts/"),
    Format("Datadog API key", "DD_API_KEY", pattern("{hex:32}"),
           "https://docs.datadoghq.com/account_management/api-app-keys/", named=True),
    Format("Datadog application key", "DD_APP_KEY", pattern("{hex:40}"),
           "https://docs.datadoghq.com/account_management/api-app-keys/", named=True),
    Format("Mailgun API key", "MAILGUN_API_KEY", pattern("{hex:32}-{hex:8}-{hex:8}"),
           "https://documentation.mailgun.com/docs/mailgun/user-manual/get-started/", named=True),
    Format("Mailchimp API key", "MAILCHIMP_API_KEY", pattern("{hex:32}-us21"),
           "https://mailchimp.com/developer/marketing/guides/quick-start/"),
    Format("Square access token", "SQUARE_ACCESS_TOKEN", pattern("EAAA{urlsafe:60}"),
           "https://developer.squareup.com/docs/build-basics/access-tokens"),
    Format("Atlassian API token", "JIRA_API_TOKEN", pattern("ATATT3xFfGF0{urlsafe:170}={HEX:8}"),
           "https://support.atlassian.com/atlassian-account/docs/manage-api-tokens-for-your-atlassian-account/"),
    Format("Supabase access token", "SUPABASE_ACCESS_TOKEN", pattern("sbp_{hex:40}"),
           "https://supabase.com/docs/reference/cli/supabase-login"),
    Format("Supabase service role key", "SUPABASE_SERVICE_ROLE_KEY",
           jwt({"iss": "supabase", "ref": "abcdefghijklmnopqrst", "role": "service_role"}),
           "https://supabase.com/docs/guides/api/api-keys"),
    Format("Terraform Cloud token", "TFE_TOKEN", pattern("{alnum:14}.atlasv1.{alnum:67}"),
           "https://developer.hashicorp.com/terraform/cloud-docs/users-teams-organizations/api-tokens"),
    Format("Age secret key", "SOPS_AGE_KEY", pattern("AGE-SECRET-KEY-1{bech32:58}"),
           "https://github.com/FiloSottile/age (age-keygen output)"),
    Format("Azure storage connection string", "AZURE_STORAGE_CONNECTION_STRING", azure_storage,
           "https://learn.microsoft.com/azure/storage/common/storage-configure-connection-string"),
    Format("Mistral API key", "MISTRAL_API_KEY", pattern("{alnum:32}"),
           "https://docs.mistral.ai/getting-started/quickstart/", named=True),
    Format("Cohere API key", "COHERE_API_KEY", pattern("{alnum:40}"),
           "https://docs.cohere.com/docs/rate-limits", named=True),
    Format("Perplexity API key", "PERPLEXITY_API_KEY", pattern("pplx-{alnum:48}"),
           "https://docs.perplexity.ai/guides/getting-started"),
    Format("Groq API key", "GROQ_API_KEY", pattern("gsk_{alnum:52}"),
           "https://console.groq.com/docs/quickstart"),
    Format("Replicate API token", "REPLICATE_API_TOKEN", pattern("r8_{alnum:37}"),
           "https://replicate.com/docs/reference/http#authentication"),
    Format("Linear API key", "LINEAR_API_KEY", pattern("lin_api_{alnum:40}"),
           "https://developers.linear.app/docs/graphql/working-with-the-graphql-api#personal-api-keys"),
    Format("Notion integration secret", "NOTION_TOKEN", pattern("ntn_{digits:11}{alnum:35}"),
           "https://developers.notion.com/docs/authorization"),
    Format("Telegram bot token", "TELEGRAM_BOT_TOKEN", pattern("{digits:10}:AA{urlsafe:33}"),
           "https://core.telegram.org/bots/api#authorizing-your-bot"),
    Format("Pinecone API key", "PINECONE_API_KEY", pattern("pcsk_{alnum:5}_{alnum:63}"),
           "https://docs.pinecone.io/guides/projects/manage-api-keys"),
    Format("Algolia admin key", "ALGOLIA_ADMIN_API_KEY", pattern("{hex:32}"),
           "https://www.algolia.com/doc/guides/security/api-keys/", named=True),
    Format("Cloudflare API token", "CLOUDFLARE_API_TOKEN", pattern("{urlsafe:40}"),
           "https://developers.cloudflare.com/fundamentals/api/get-started/create-token/", named=True),
    Format("Private key (PKCS#8 PEM)", "TLS_KEY", pem_private_key,
           "https://www.rfc-editor.org/rfc/rfc7468#section-10"),
)

#: Identifiers the providers document as safe to expose (browser code, public configuration).
PUBLIC = (
    ("Stripe publishable key", "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY", pattern("pk_live_{alnum:99}")),
    ("Google OAuth client ID", "GOOGLE_CLIENT_ID", pattern("{digits:12}-{loweralnum:32}.apps.googleusercontent.com")),
    ("Sentry DSN", "SENTRY_DSN", pattern("https://{hex:32}" + "@o{digits:6}.ingest.sentry.io/{digits:7}")),
    ("Supabase anon key", "NEXT_PUBLIC_SUPABASE_ANON_KEY", jwt({"iss": "supabase", "ref": "abcdefghijklmnopqrst",
                                                                 "role": "anon"})),
    ("PostHog project key", "NEXT_PUBLIC_POSTHOG_KEY", pattern("phc_{alnum:43}")),
    ("Mapbox public token", "NEXT_PUBLIC_MAPBOX_TOKEN", pattern("pk.eyJ1Ijoi{alnum:20}.{urlsafe:22}")),
    ("Twilio Account SID", "TWILIO_ACCOUNT_SID", pattern("AC{hex:32}")),
    ("AWS access key ID alone", "AWS_ACCESS_KEY_ID", pattern("AKIA{base32:16}")),
    ("Algolia application ID", "ALGOLIA_APP_ID", pattern("{upperalnum:10}")),
)


def camel(env: str) -> str:
    words = env.lower().split("_")
    return words[0] + "".join(w.title() for w in words[1:])


def positives(spec: Format, value: str) -> Iterator[tuple[str, str]]:
    """(path, text) where ``value`` is committed as a credential."""
    lower, name = spec.env.lower(), camel(spec.env)
    if spec.provider == "AWS access key pair":
        key_id = "AKIA" + value[:16].upper().replace("+", "Q").replace("/", "Z")
        yield ".env", f"AWS_ACCESS_KEY_ID={key_id}\nAWS_SECRET_ACCESS_KEY={value}\n"
        yield "app/storage.py", f'session = boto3.Session(\n    aws_access_key_id="{key_id}",\n' \
                                f'    aws_secret_access_key="{value}",\n)\n'
        yield "config/aws.json", f'{{\n  "accessKeyId": "{key_id}",\n  "secretAccessKey": "{value}"\n}}\n'
        return
    if "\n" in value:  # a PEM key
        yield "deploy/tls.key", value + "\n"
        yield "app/signing.py", f'PRIVATE_KEY = """{value}\n"""\n'
        return
    yield ".env", f"{spec.env}={value}\n"
    yield "config/settings.yaml", f"services:\n  {lower}: \"{value}\"\n"
    yield f"src/lib/{name}.ts", f'export const {name} = "{value}";\n'
    yield "app/config.py", f'{spec.env} = "{value}"\n'
    if not spec.named and "://" not in value and ";" not in value:
        yield "app/client.py", f'headers = {{"Authorization": "Bearer {value}"}}\n'
        yield "scripts/deploy.sh", f'curl -s -H "Authorization: Bearer {value}" https://api.acme-corp.io/v1/deploy\n'
        yield "logs/worker.log", f"2025-01-07 10:31:02 INFO using token {value} for the sync job\n"


def negatives(spec: Format, value: str) -> Iterator[tuple[str, str]]:
    """(path, text) a reviewer rejects: placeholders, redactions, references, prose about the format."""
    head = value[:value.find("_") + 1] if value.startswith(("sk_", "rk_", "pk_")) else ""
    for cut in ("_", "-", "."):
        if not head and cut in value[:16] and not value.startswith(("http", "-----")):
            head = value[:value.index(cut) + 1]
    filler = "x" * max(8, min(40, len(value) - len(head)))
    yield ".env.example", f"{spec.env}={head}{filler}\n"
    yield ".env.example", f"{spec.env}=your-{spec.env.lower().replace('_', '-')}-here\n"
    yield "app/config.py", f'{spec.env} = os.environ["{spec.env}"]\n'
    yield "src/env.ts", f"const {camel(spec.env)} = process.env.{spec.env};\n"
    yield "deploy/values.yaml", f"{spec.env.lower()}: ${{{spec.env}}}\n"
    yield "logs/worker.log", f"2025-01-07 10:31:02 INFO {spec.env}={head}{'*' * 12} loaded\n"
    if head:
        yield "docs/setup.md", f"Create a key in the dashboard; {spec.provider} keys start with `{head}`.\n"


def global_negatives(rng: random.Random) -> Iterator[tuple[str, str, str]]:
    """(kind, path, text): random-looking values that are not secrets."""
    for _ in range(4):
        yield "commit SHA", "CHANGELOG.md", f"- Fix retry loop ({draw(rng, 'hex', 40)})\n"
        yield "image digest", "deploy/app.yaml", f"image: ghcr.io/acme/api@sha256:{draw(rng, 'hex', 64)}\n"
        yield "integrity hash", "package-lock.json", \
            f'    "integrity": "sha512-{draw(rng, "base64", 86)}=="\n'
        yield "UUID id", "app/fixtures.json", f'{{"request_id": "{uuid4(rng)}", "status": "ok"}}\n'
        yield "data URI", "src/icon.ts", \
            f'export const ICON = "data:image/png;base64,iVBORw0KGgo{draw(rng, "base64", 120)}";\n'
        yield "checksum file", "dist/SHA256SUMS", f"{draw(rng, 'hex', 64)}  acme-cli-linux-amd64.tar.gz\n"
        yield "public key", "keys/release.pub", "-----BEGIN PUBLIC KEY-----\n" + \
            base64.b64encode(rng.randbytes(270)).decode()[:360] + "\n-----END PUBLIC KEY-----\n"
        yield "cache key", "app/cache.py", f'CACHE_KEY_PREFIX = "v2:{draw(rng, "hex", 12)}:user"\n'
        yield "object id", "app/seed.py", f'ORG_ID = "{draw(rng, "hex", 24)}"  # MongoDB ObjectId of the demo org\n'
        yield "CSP nonce", "templates/base.html", f'<script nonce="{draw(rng, "base64", 22)}==">init()</script>\n'


def samples(seed: int = 20251206) -> Iterator[dict]:
    rng = random.Random(seed)
    for spec in FORMATS:
        key = spec.provider.lower().replace(" ", "-").replace("(", "").replace(")", "").replace("#", "")
        value = spec.make(rng)
        for index, (path, text) in enumerate(positives(spec, value)):
            yield {"id": f"heldout:{key}:tp:{index:03d}", "rule": key, "path": path, "text": text, "label": "tp"}
        for index, (path, text) in enumerate(negatives(spec, value)):
            yield {"id": f"heldout:{key}:fp:{index:03d}", "rule": key, "path": path, "text": text, "label": "fp"}
    for provider, env, make in PUBLIC:
        key = "public-" + provider.lower().replace(" ", "-")
        value = make(rng)
        for index, (path, text) in enumerate(((".env", f"{env}={value}\n"),
                                               ("src/lib/client.ts", f'const {camel(env)} = "{value}";\n'))):
            yield {"id": f"heldout:{key}:fp:{index:03d}", "rule": key, "path": path, "text": text, "label": "fp"}
    counts: dict[str, int] = {}
    for kind, path, text in global_negatives(rng):
        key = "non-secret-" + kind.lower().replace(" ", "-")
        counts[key] = counts.get(key, 0) + 1
        yield {"id": f"heldout:{key}:fp:{counts[key]:03d}", "rule": key, "path": path, "text": text, "label": "fp"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="JSON lines file to write (outside the repository)")
    parser.add_argument("--seed", type=int, default=20251206)
    args = parser.parse_args(argv)
    rows = list(samples(args.seed))
    args.out.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    labels = {label: sum(1 for r in rows if r["label"] == label) for label in ("tp", "fp")}
    print(f"{len(rows)} samples ({labels['tp']} tp, {labels['fp']} fp) from {len(FORMATS)} secret formats, "
          f"{len(PUBLIC)} public identifiers -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
