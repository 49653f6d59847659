"""``orion smoke URL``: run the checks of :mod:`orion.ops.smoke`, print them, exit 0 or 1.

Three outputs for three readers: a table for people, ``--json`` for scripts, ``--junit FILE``
for CI test reports. The token never appears in any of them.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated
from xml.etree import ElementTree  # writes XML only, never parses any

import typer
from rich.console import Console
from rich.table import Table

from orion.ops.smoke import TOKEN_VARIABLE, SmokeReport, run_smoke_checks

_STYLES = {"pass": "green", "fail": "bold red", "skip": "yellow"}


def render_table(report: SmokeReport, console: Console) -> None:
    table = Table(title=f"orion smoke {report.url}")
    table.add_column("Check", style="bold")
    table.add_column("Result")
    table.add_column("Time", justify="right")
    table.add_column("Reason", overflow="fold")
    for check in report.checks:
        style = _STYLES[check.status]
        result = f"[{style}]{check.status.upper()}[/{style}]"
        table.add_row(check.name, result, f"{check.seconds * 1000:.0f} ms", check.reason)
    console.print(table)
    verdict = "[green]OK[/green]" if report.ok else "[bold red]FAILED[/bold red]"
    console.print(
        f"{verdict}: {report.count('pass')} passed, {report.count('fail')} failed, "
        f"{report.count('skip')} skipped in {report.seconds:.2f}s"
    )


def junit_xml(report: SmokeReport) -> str:
    """One ``<testsuite>``, one ``<testcase>`` per check (failure/skipped with the reason)."""
    suite = ElementTree.Element(
        "testsuite",
        name="orion-smoke",
        tests=str(len(report.checks)),
        failures=str(report.count("fail")),
        errors="0",
        skipped=str(report.count("skip")),
        time=f"{report.seconds:.3f}",
    )
    ElementTree.SubElement(suite, "properties").append(
        ElementTree.Element("property", name="url", value=report.url)
    )
    for check in report.checks:
        case = ElementTree.SubElement(
            suite, "testcase", classname="orion.smoke", name=check.name, time=f"{check.seconds:.3f}"
        )
        if check.status == "fail":
            ElementTree.SubElement(case, "failure", message=check.reason).text = check.reason
        elif check.status == "skip":
            ElementTree.SubElement(case, "skipped", message=check.reason)
    ElementTree.indent(suite)
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def smoke_command(
    url: Annotated[str, typer.Argument(help="Base URL of the API, e.g. https://api-staging...")],
    token: Annotated[
        str | None,
        typer.Option(
            envvar=TOKEN_VARIABLE,
            show_default=False,
            help="Bearer token of a smoke-test user: adds the signed-in read.",
        ),
    ] = None,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds each check may take.")] = 10.0,
    hsts: Annotated[
        bool | None,
        typer.Option("--hsts/--no-hsts", help="Expect HSTS (default: only for https URLs)."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON, not a table.")] = False,
    junit: Annotated[Path | None, typer.Option(help="Also write a JUnit XML report here.")] = None,
) -> None:
    """Smoke-test a release: health, headers, CORS, auth, webhook refusal, a signed-in read.

    Exit 0 when every check passed (skipped ones included), 1 when any failed.
    """
    report = asyncio.run(
        run_smoke_checks(url, token=token or None, check_seconds=timeout, expect_hsts=hsts)
    )
    if json_output:
        typer.echo(json.dumps(report.as_json(), indent=2))
    else:
        render_table(report, Console(width=160))
    if junit is not None:
        junit.parent.mkdir(parents=True, exist_ok=True)
        junit.write_text(junit_xml(report))
    raise typer.Exit(0 if report.ok else 1)
