"""Agent tools: side-effect classification, following helpers across modules, gates, positive evidence."""

from __future__ import annotations

import textwrap

import pytest

from scanner.analysis.agents.python.effects import side_effect
from scanner.config import Config
from scanner.context import Context, ProjectFacts
from scanner.detectors import DETECTORS
from scanner.engine import Engine
from scanner.lang.python.parse import parse_python
from scanner.model import Artifact
from scanner.testing import MemorySource


def effect_of(code: str):
    facts = ProjectFacts(Config())
    module = parse_python(Context(Artifact("tool.py", textwrap.dedent(code), "python"), facts))
    function = next(s for s in module.module.body if type(s).__name__ == "FunctionDef")
    found = side_effect(facts, module, function)
    return found.describe() if found else None


@pytest.mark.parametrize(("code", "expected"), [
    ("import smtplib\ndef t(to):\n    with smtplib.SMTP('h') as s:\n        s.sendmail('a', [to], 'x')\n",
     "sends email (smtplib)"),
    ("from sendgrid import SendGridAPIClient\nsg = SendGridAPIClient('k')\ndef t(m):\n    sg.send(m)\n",
     "sends email (sendgrid)"),
    ("from django.core.mail import send_mail\ndef t(to):\n    send_mail('s', 'b', 'f', [to])\n",
     "sends email (django)"),
    ("from twilio.rest import Client\nclient = Client()\ndef t(to):\n    client.messages.create(to=to, body='x')\n",
     "sends SMS (twilio)"),
    ("import stripe\ndef t(c):\n    stripe.Refund.create(charge=c)\n", "changes payments (stripe)"),
    ("def t(to):\n    from twilio.rest import Client\n    Client().messages.create(to=to, body='x')\n",
     "sends SMS (twilio)"),
    ("import httpx\ndef t(u):\n    httpx.patch(u, json={})\n", "sends HTTP writes (httpx)"),
    ("import requests\ndef t(u):\n    s = requests.Session()\n    s.delete(u)\n", "sends HTTP writes (requests)"),
    ("import subprocess\ndef t(c):\n    subprocess.check_output(c, shell=True)\n", "runs shell commands (subprocess)"),
    ("def t(code):\n    return eval(code)\n", "runs shell commands (eval)"),
    ("import shutil\ndef t(p):\n    shutil.rmtree(p)\n", "writes files (shutil)"),
    ("def t(p, text):\n    with open(p, 'a') as f:\n        f.write(text)\n", "writes files (open)"),
    ("from pathlib import Path\ndef t(p):\n    Path(p).unlink()\n", "writes files (pathlib)"),
    ("def t(db, n):\n    db.add(n)\n    db.commit()\n", "writes to the database (db)"),
    ("def t(cur, i):\n    cur.execute('DELETE FROM notes WHERE id = %s', (i,))\n",
     "writes to the database (SQL execute)"),
    ("def t(Note, b):\n    Note.objects.create(body=b)\n", "writes to the database (Note)"),
    ("def t(service, e):\n    service.events().insert(calendarId='primary', body=e).execute()\n",
     "changes the calendar (service)"),
    ("from openpyxl import load_workbook\ndef t(p, v):\n    wb = load_workbook(p)\n    wb.active['A1'] = v\n"
     "    wb.save(p)\n", "writes files (openpyxl)"),
    ("import os\ndef t(template_path):\n    os.remove(template_path)\n", "writes files (os)"),
])
def test_side_effects_are_classified(code, expected):
    assert effect_of(code) == expected


@pytest.mark.parametrize("code", [
    "import requests\ndef t(u):\n    return requests.get(u).json()\n",
    "import stripe\ndef t(c):\n    return stripe.Customer.retrieve(c)\n",
    "def t(db, i):\n    return db.query(Note).filter(Note.id == i).first()\n",
    "def t(p):\n    with open(p) as f:\n        return f.read()\n",
    "def t(p, audio):\n    with open(p, mode='xb') as f:\n        f.write(audio)\n",
    "def t(items, x):\n    items.add(x)\n    return sorted(items)\n",
    "def t(cur, i):\n    cur.execute('SELECT * FROM notes WHERE id = %s', (i,))\n",
    "import os, tempfile\ndef t(b):\n    temp_path = os.path.join(tempfile.gettempdir(), 'x.png')\n"
    "    render(b, temp_path)\n    os.remove(temp_path)\n",
    "from anthropic import Anthropic\nclient = Anthropic()\ndef t(m):\n    return client.messages.create(messages=m)\n",
])
def test_reads_are_not_side_effects(code):
    assert effect_of(code) is None


def scan(files: dict[str, str], registry, rules=("agent-tool-no-confirmation",)):
    engine = Engine(registry, Config(), DETECTORS, only_rules=list(rules))
    files = {path: textwrap.dedent(code) for path, code in files.items()}
    return engine.run([MemorySource(files)], root="<test>", source_names=["test"])


TOOL = """
from agents import function_tool
from app.notify import remind

@function_tool{flags}
def send_reminder(client_email: str) -> str:
    return remind(client_email)
"""
HELPERS = {
    "app/notify.py": "from app.mail import deliver\n\ndef remind(to):\n    return deliver(to, 'Reminder')\n",
    "app/mail.py": "import resend\n\ndef deliver(to, subject):\n"
                   "    resend.Emails.send({'to': to, 'subject': subject})\n",
}


def test_side_effect_two_modules_away_is_found(registry):
    result = scan({"app/tools.py": TOOL.format(flags=""), **HELPERS}, registry)
    assert [f.message for f in result.active] == [
        "Agent tool send_reminder sends email (resend) without human confirmation"]
    assert result.active[0].evidence["tool"] == "send_reminder"


def test_gated_tool_is_not_reported_and_counts_as_positive_evidence(registry):
    result = scan({"app/tools.py": TOOL.format(flags="(needs_approval=True)"), **HELPERS}, registry)
    assert result.active == []
    assert result.evidence["agent-tools"] == (
        "tool send_reminder sends email after confirmation (needs_approval=)",)


def test_needs_approval_false_is_not_a_gate(registry):
    result = scan({"app/tools.py": TOOL.format(flags="(needs_approval=False)"), **HELPERS}, registry)
    assert len(result.active) == 1


def test_project_wide_langgraph_interrupt_before_gates_tools(registry):
    graph = "graph = builder.compile(checkpointer=memory, interrupt_before=['tools'])\n"
    result = scan({"app/tools.py": TOOL.format(flags=""), "app/graph.py": "from langgraph.graph import StateGraph\n"
                   + graph, **HELPERS}, registry)
    assert result.active == []


def test_anthropic_schema_dispatched_through_a_mapping_in_another_module(registry):
    result = scan({
        "app/schemas.py": """
            TOOLS = [{"name": "wipe_workspace", "input_schema": {"type": "object", "properties": {}}},
                     {"name": "list_files", "input_schema": {"type": "object", "properties": {}}}]
        """,
        "app/handlers.py": """
            import os
            import shutil

            def wipe_workspace(path="/srv/data"):
                shutil.rmtree(path)

            def list_files(path="/srv/data"):
                return os.listdir(path)

            HANDLERS = {"wipe_workspace": wipe_workspace, "list_files": list_files}

            def dispatch(block):
                return HANDLERS[block.name](**block.input)
        """,
    }, registry)
    assert [(f.location.path, f.message) for f in result.active] == [
        ("app/schemas.py", "Agent tool wipe_workspace writes files (shutil) without human confirmation")]


def test_syntax_errors_in_agent_code_are_skipped_with_a_reason(registry):
    result = scan({"agent.py": "from agents import function_tool\n@function_tool\ndef broken(:\n    pass\n"},
                  registry)
    assert result.active == []
    assert [(n.path, n.reason) for n in result.skipped] == [("agent.py", "syntax-error")]


def test_typescript_tools_are_judged_by_the_same_decision_as_python(registry):
    """AI SDK, MCP and a tool-call loop: effects across files, destructiveHint as a gate, DB writes graded medium."""
    files = {
        "lib/ai/tools.ts": textwrap.dedent("""
            import { tool } from "ai";
            import { z } from "zod";
            import { saveNote } from "./notes";

            export const tools = {
              saveNote: tool({
                inputSchema: z.object({ title: z.string() }),
                execute: async ({ title }) => saveNote(title),
              }),
            };
        """),
        "lib/ai/notes.ts": "export async function saveNote(title) {\n"
                           "  return prisma.note.create({ data: { title } });\n}\n",
        "src/mcp.ts": textwrap.dedent("""
            import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
            import { writeFile } from "node:fs/promises";

            const server = new McpServer({ name: "fs", version: "1" });
            server.registerTool("write_file", { annotations: { destructiveHint: true } },
              async ({ path, content }) => { await writeFile(path, content); return { content: [] }; });
        """),
    }
    result = Engine(registry, Config(), DETECTORS).run([MemorySource(files)], root="<memory>", source_names=["m"])
    found = [f for f in result.findings if f.rule_id == "agent-tool-no-confirmation"]
    assert [(f.location.path, f.severity.label) for f in found] == [("lib/ai/tools.ts", "medium")]
    assert "writes to the database (prisma.note.create)" in found[0].message
    assert result.evidence["agent-tools"] == (
        "tool write_file writes files after confirmation (MCP annotations destructiveHint: true (hosts ask the "
        "user first))",)


SSRF_TOOL = """
import httpx
from langchain_core.tools import tool
from app.links import {helper}

@tool
def check_urls(urls: list[str]) -> str:
    \"\"\"Check that links answer.\"\"\"
    return "\\n".join({helper}(u) for u in urls)
"""


@pytest.mark.parametrize(("helper", "expected"), [
    # a name like check_urls fetches; it is followed, not taken for a URL check; the request is in another
    # file, so the finding stays on the tool and names it
    ("check_urls", "app/tools.py:7 (httpx.head) with no host allowlist or private-address block in app/links.py:6"),
    # a URL check that ignores the address is where the fix goes
    ("status_of", "app/tools.py:7 (httpx.head) with no host allowlist or private-address block; its URL check "
                  "is_valid_url() in app/links.py:8 lets private addresses through"),
    # a private-address block on the way: nothing to report
    ("guarded_status", None),
])
def test_ssrf_follows_the_models_urls_into_helpers_and_points_at_the_fix(registry, helper, expected):
    links = textwrap.dedent("""
        import ipaddress
        import httpx

        def check_urls(link):
            return httpx.head(link).status_code

        def is_valid_url(link):
            return link.startswith(("http://", "https://"))

        def status_of(link):
            if not is_valid_url(link):
                return "bad"
            return httpx.head(link).status_code

        def guarded_status(link):
            if ipaddress.ip_address(resolve(link)).is_private:
                return "refused"
            return httpx.head(link).status_code
    """)
    result = scan({"app/tools.py": SSRF_TOOL.format(helper=helper), "app/links.py": links}, registry,
                  rules=("agent-tool-ssrf",))
    found = [f"{f.location.path}:{f.location.line} ({f.message.split(' (', 1)[1]}" for f in result.active]
    assert found == ([expected] if expected else [])


def test_ssrf_is_reported_whatever_the_gate(registry):
    code = ("import requests\nfrom agents import function_tool\n\n@function_tool(needs_approval=True)\n"
            "def read_page(url: str) -> str:\n    return requests.get(url).text\n")
    result = scan({"app/tools.py": code}, registry, rules=("agent-tool-ssrf", "agent-tool-no-confirmation"))
    assert [f.rule_id for f in result.active] == ["agent-tool-ssrf"]
