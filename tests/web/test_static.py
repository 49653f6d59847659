"""The dashboard's files: served at ``/`` under the strict CSP, and written so the CSP holds.

The browser test proves the CSP holds at run time; these checks catch the mistakes that would
only show on a page the browser test does not open (an inline handler, a CDN URL, innerHTML).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from orion.entrypoints.api import create_app
from orion.ops.vercel import STATIC_ROOT, vercel_config
from orion.platform.config import project_root
from orion.platform.static_files import WEB_ROOT
from tests.fixtures.http import asgi_client
from tests.fixtures.settings import SettingsFactory

JS_FILES = sorted(WEB_ROOT.rglob("*.js"))
COMMENT = re.compile(r"/\*.*?\*/|(?<![:\"])//[^\n]*", re.DOTALL)
IMPORT = re.compile(r"""^import\s[^;]*?from\s+"(?P<path>[^"]+)";""", re.MULTILINE | re.DOTALL)


@pytest.fixture
async def client(settings_factory: SettingsFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(create_app(settings_factory("development"))) as api:
        yield api


async def test_the_dashboard_is_served_at_the_root_with_the_csp(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    script = await client.get("/js/app.js")
    style = await client.get("/css/app.css")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-cache"
    assert '<script type="module" src="/js/app.js">' in page.text
    assert script.headers["content-type"].startswith("text/javascript")
    assert style.headers["content-type"].startswith("text/css")
    again = await client.get("/", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304


async def test_app_links_open_the_dashboard_but_api_paths_keep_json_errors(
    client: httpx.AsyncClient,
) -> None:
    deep = await client.get("/customers", headers={"Accept": "text/html,*/*;q=0.8"})
    not_a_page = await client.get("/customers")
    api = await client.get("/api/v1/nothing-here", headers={"Accept": "text/html"})
    asset = await client.get("/js/missing.js")
    health = await client.get("/health/nothing-here")
    assert deep.status_code == 200 and "<main" in deep.text
    for response in (not_a_page, api, asset, health):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert "content-security-policy" in response.headers
    for method in ("POST", "PUT", "DELETE"):
        assert (await client.request(method, "/api/v1/nothing-here")).status_code == 404
        assert (await client.request(method, "/")).status_code == 404


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.labels: set[str] = set()
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        for name, _ in attrs:
            if name.startswith("on") or name == "style":
                self.problems.append(f"<{tag} {name}=...>")
        if tag == "style":
            self.problems.append("<style>")
        if tag == "script" and not names.get("src"):
            self.problems.append("inline <script>")
        for name in ("src", "href"):
            value = names.get(name) or ""
            if value.startswith(("http:", "https:", "//")):
                self.problems.append(f"external {name}={value}")

    def handle_data(self, data: str) -> None:
        if self.lasttag == "script" and data.strip():
            self.problems.append("inline script body")


def test_the_page_has_no_inline_code_and_loads_nothing_from_elsewhere() -> None:
    parser = _Markup()
    parser.feed((WEB_ROOT / "index.html").read_text())
    assert parser.problems == []


@pytest.mark.parametrize("path", JS_FILES, ids=lambda p: str(p.relative_to(WEB_ROOT)))
def test_scripts_stay_within_the_csp_and_build_no_markup_from_strings(path: Path) -> None:
    source = path.read_text()
    code = COMMENT.sub("", source)
    for forbidden in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        'setAttribute("style"',
        "localStorage",
        "document.cookie",
    ):
        assert forbidden not in code, forbidden
    urls = re.findall(r"https?://[^\s\"'`]+", source)
    assert urls in ([], ["http://www.w3.org/2000/svg"])
    assert len(source.splitlines()) < 400


@pytest.mark.parametrize("path", JS_FILES, ids=lambda p: str(p.relative_to(WEB_ROOT)))
def test_every_module_import_resolves(path: Path) -> None:
    for match in IMPORT.finditer(path.read_text()):
        target = (path.parent / match["path"]).resolve()
        assert match["path"].startswith("./") or match["path"].startswith("../")
        assert target.is_file(), f"{path.name} imports missing {match['path']}"


def test_vercel_publishes_the_folder_the_api_serves() -> None:
    assert vercel_config()["outputDirectory"] == STATIC_ROOT
    assert project_root() / STATIC_ROOT == WEB_ROOT
    assert not list(WEB_ROOT.rglob("*.py")), "Python files would be published by Vercel"
