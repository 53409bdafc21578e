"""Browser reach: which modules of a project end up in browser JavaScript."""

from __future__ import annotations

from scanner.analysis.browser.reach import browser_reach, index_browser
from scanner.config import Config
from scanner.context import Context, ProjectFacts
from scanner.model import Artifact
from scanner.sources.files import artifact_kind


def reach_of(files: dict[str, str]):
    facts = ProjectFacts(Config())
    for path, text in files.items():
        index_browser(Context(Artifact(path=path, text=text, kind=artifact_kind(path)), facts))
    return browser_reach(facts)


def reached(files: dict[str, str]) -> set[str]:
    return set(reach_of(files).reached)


def test_use_client_module_and_its_imports_through_tsconfig_paths_and_index_files():
    files = {
        "tsconfig.json": '{"compilerOptions": {"baseUrl": ".", "paths": {"~lib/*": ["src/lib/*"]}}}',
        "src/app/chat/panel.tsx": "'use client'\nimport { ask } from '~lib/ai'\nexport const P = () => ask()\n",
        "src/lib/ai/index.ts": "export * from './client'\n",
        "src/lib/ai/client.ts": "export const ask = () => 1\n",
        "src/app/chat/page.tsx": "import { P } from './panel'\nimport { db } from '../../lib/db'\nexport default P\n",
        "src/lib/db.ts": "export const db = 1\n",
    }
    assert reached(files) == {"src/app/chat/panel.tsx", "src/lib/ai/index.ts", "src/lib/ai/client.ts"}


def test_type_only_imports_and_server_boundaries_carry_no_code():
    files = {
        "app/form.tsx": ("'use client'\nimport type { Row } from '@/lib/types'\nimport { save } from './actions'\n"
                         "import { only } from '@/lib/secret'\nimport { type Cfg, helper } from '@/lib/mixed'\n"),
        "lib/types.ts": "export type Row = { id: string }\n",
        "app/actions.ts": "'use server'\nimport { db } from '@/lib/db'\nexport async function save() {}\n",
        "lib/db.ts": "export const db = 1\n",
        "lib/secret.ts": "import 'server-only'\nexport const only = 1\n",
        "lib/mixed.ts": "export type Cfg = {}\nexport const helper = 1\n",
        "app/api/chat/route.ts": "export async function POST() {}\n",
    }
    assert reached(files) == {"app/form.tsx", "lib/mixed.ts"}


def test_pages_router_pages_outside_api_and_document_and_data_function_imports():
    files = {
        "pages/index.tsx": ("import { Button } from '../components/button'\nimport { db } from '../lib/db'\n"
                            "export default function Home() { return Button }\n"
                            "export async function getServerSideProps() { return { props: { x: db } } }\n"),
        "pages/api/chat.ts": "export default function handler() {}\n",
        "pages/_document.tsx": "export default function Doc() {}\n",
        "components/button.tsx": "export const Button = 1\n",
        "lib/db.ts": "export const db = process.env.DATABASE_URL\n",
    }
    reach = reach_of(files)
    assert set(reach.reached) == {"pages/index.tsx", "components/button.tsx"}
    text = files["pages/index.tsx"]
    assert not reach.ships("pages/index.tsx", text.index("return { props"))
    assert reach.ships("pages/index.tsx", text.index("return Button"))


def test_vite_html_script_dynamic_imports_and_require():
    files = {
        "web/index.html": '<div id="root"></div><script type="module" src="/src/main.tsx"></script>',
        "web/src/main.tsx": "import './polyfill'\nconst Chat = lazy(() => import('./chat'))\n",
        "web/src/polyfill.ts": "const x = require('./legacy')\n",
        "web/src/legacy.js": "module.exports = 1\n",
        "web/src/chat.tsx": "export default function Chat() {}\n",
        "web/src/unused.ts": "export const u = 1\n",
    }
    assert reached(files) == {"web/src/main.tsx", "web/src/polyfill.ts", "web/src/legacy.js", "web/src/chat.tsx"}


def test_spa_package_entries_and_expo_apps():
    files = {
        "client/package.json": '{"dependencies": {"react-scripts": "5"}}',
        "client/src/index.js": "import App from './App'\n",
        "client/src/App.js": "export default function App() {}\n",
        "mobile/package.json": '{"dependencies": {"expo": "50"}}',
        "mobile/app/index.tsx": "export default function Screen() {}\n",
        "mobile/app/chat+api.ts": "export function POST() {}\n",
        "mobile/supabase/functions/notify/index.ts": "Deno.serve(() => new Response())\n",
        "server/package.json": '{"dependencies": {"express": "4"}}',
        "server/index.js": "const app = require('express')()\n",
    }
    reach = reach_of(files)
    assert set(reach.reached) == {"client/src/index.js", "client/src/App.js", "mobile/app/index.tsx"}
    assert reach.runs_only_in_browser("client/src/App.js")


def test_next_shared_modules_are_reached_but_do_not_run_only_in_the_browser():
    reach = reach_of({
        "app/panel.tsx": "'use client'\nimport { env } from '../lib/env'\n",
        "lib/env.ts": "export const env = {}\n",
    })
    assert reach.reaches("lib/env.ts") and not reach.runs_only_in_browser("lib/env.ts")
    assert reach.runs_only_in_browser("app/panel.tsx") and reach.is_entry("app/panel.tsx")
    assert reach.entry_of("lib/env.ts") == "app/panel.tsx ('use client')"


def test_import_cycles_terminate():
    assert reached({
        "app/a.tsx": "'use client'\nimport './b'\n",
        "app/b.ts": "import './a'\n",
    }) == {"app/a.tsx", "app/b.ts"}


def test_pages_folders_elsewhere_and_tests_are_not_entries():
    assert reached({
        "package.json": '{"dependencies": {"next": "14"}}',
        "tests/pages/chat.ts": "export class ChatPage {}\n",
        "components/pages/list.tsx": "export const List = 1\n",
        "src/pages/about.tsx": "export default function About() {}\n",
        "admin/package.json": '{"dependencies": {"vite": "5"}}',
        "admin/pages/users.tsx": "export default function Users() {}\n",
    }) == {"src/pages/about.tsx"}
