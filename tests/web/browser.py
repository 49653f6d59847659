"""Chromium for the dashboard tests: Debian's binary, and a watch on everything that went wrong.

``PageWatch`` collects console errors, uncaught page errors and CSP violations (reported by
a ``securitypolicyviolation`` listener installed before any page script runs). The only
console errors a test may expect are the browser's own "Failed to load resource" lines for
answers it provoked on purpose, named by status and URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Error, Page

from orion.platform.config import project_root

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  const blocked = event.blockedURI || "inline";
  console.error(`CSP violation: ${event.violatedDirective} blocked ${blocked}`);
});
"""
#: ORION_UPDATE_SCREENSHOTS=1 writes the README's screenshots; otherwise they go to tmp.
SCREENSHOT_DIR = project_root() / "docs" / "screenshots"


@dataclass
class PageWatch:
    page: Page
    problems: list[str] = field(default_factory=list)
    expected: list[tuple[int, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.add_init_script(CSP_LISTENER)
        self.page.on("console", self._console)
        self.page.on("pageerror", self._page_error)

    def expect_failed_request(self, status: int, url_suffix: str) -> None:
        self.expected.append((status, url_suffix))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type not in ("error", "warning"):
            return
        url = message.location.get("url", "")
        for status, suffix in self.expected:
            if f"status of {status}" in message.text and url.endswith(suffix):
                return
        self.problems.append(f"console {message.type}: {message.text} ({url})")

    def _page_error(self, error: Error) -> None:
        self.problems.append(f"page error: {error}")

    def assert_clean(self) -> None:
        assert self.problems == []
