"""Operator commands for the draw service: `ssj plan generate` and `ssj draw commit|execute|show`.

They talk to the draw API over HTTP (SSJ_DRAW_URL, SSJ_TOKEN). Long batches (committing a
period's planned draws, executing many draws) show a progress bar.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import httpx

CHUNK = 20
url_option = click.option(
    "--url", envvar="SSJ_DRAW_URL", default="http://127.0.0.1:8002", show_default=True, help="Draw service."
)
token_option = click.option("--token", envvar="SSJ_TOKEN", required=True, help="Bearer token (SSJ_TOKEN).")


@contextmanager
def _client(url: str, token: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=600) as http:
        yield http


def _ok(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        try:
            problem = response.json()
            reason = problem.get("detail") or problem.get("title")
        except ValueError:
            reason = response.text[:300]
        raise click.ClickException(
            f"{response.request.method} {response.request.url.path}: {response.status_code} {reason}"
        )
    return response.json()


def _table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    for row in rows:
        click.echo("\t".join("" if row.get(c) is None else str(row.get(c)) for c in columns))


@click.group("plan")
def plan() -> None:
    """Plans (抽查计划): the draws the seed's frequency rules require."""


@plan.command("generate")
@click.argument("period")
@click.option("--rule", "rules", multiple=True, help="Only this rule (repeatable); default every rule.")
@click.option("--commit", "entropy_source", metavar="ENTROPY_SOURCE", help="Also commit the period's planned draws.")
@click.option("--due-by", help="With --commit: only draws due by this date (YYYY-MM-DD).")
@url_option
@token_option
def generate(
    period: str, rules: tuple[str, ...], entropy_source: str | None, due_by: str | None, url: str, token: str
) -> None:
    """Create every planned draw the rules require for PERIOD (2026, 2026-H2, 2026-Q4, 2026-11).
    Safe to repeat. One line per planned draw: id, rule, rule period, area, round, due date, status."""
    body: dict[str, Any] = {"period": period} | ({"rules": list(rules)} if rules else {})
    with _client(url, token) as http:
        result = _ok(http.post("/v1/plans:generate", json=body))
        click.echo(f"# {len(result['items'])} planned draws ({result['created']} new), rules {result['rules_version']}")
        _table(result["items"], ["id", "rule_code", "rule_period", "jurisdiction", "round", "due_date", "status"])
        if entropy_source:
            items = [
                i["id"] for i in result["items"] if i["status"] == "planned" and (not due_by or i["due_date"] <= due_by)
            ]
            _commit_items(http, items, entropy_source)


def _commit_items(http: httpx.Client, item_ids: list[str], entropy_source: str) -> None:
    results: list[dict[str, Any]] = []
    chunks = [item_ids[i : i + CHUNK] for i in range(0, len(item_ids), CHUNK)]
    with click.progressbar(chunks, label="committing planned draws", file=sys.stderr) as bar:
        for chunk in bar:
            body = {"item_ids": chunk, "entropy_source": entropy_source}
            results += _ok(http.post("/v1/plan-items:commit", json=body))["results"]
    _table(results, ["item_id", "status", "draw_id"])
    for failed in (r for r in results if r.get("error")):
        click.echo(f"not committed {failed['item_id']}: {failed['error']['detail']}", err=True)


@click.group("draw")
def draw() -> None:
    """Draws (双随机抽取): commit, execute, show."""


@draw.command("commit")
@click.option("--plan-item", "item_ids", multiple=True, help="Commit these planned draws (repeatable).")
@click.option("--file", "plan_file", type=click.Path(dir_okay=False, path_type=Path), help="Or a draw plan (JSON).")
@click.option("--entropy-source", required=True, help="The public randomness execution will use, named now.")
@url_option
@token_option
def commit(item_ids: tuple[str, ...], plan_file: Path | None, entropy_source: str, url: str, token: str) -> None:
    """Freeze the pools and publish the commitment, for planned draws or for a plan file."""
    if bool(item_ids) == bool(plan_file):
        raise click.UsageError("give --plan-item (one or more) or --file, not both")
    with _client(url, token) as http:
        if item_ids:
            _commit_items(http, list(item_ids), entropy_source)
            return
        assert plan_file is not None
        body = json.loads(plan_file.read_text(encoding="utf-8")) | {"entropy_source": entropy_source}
        committed = _ok(http.post("/v1/draws", json=body))
    click.echo(f"{committed['id']}\tcommitted\tcommitment_sha256 {committed['commitment_sha256']}")


@draw.command("execute")
@click.argument("draw_ids", nargs=-1, required=True)
@click.option("--entropy", required=True, help="The value the declared entropy source produced.")
@url_option
@token_option
def execute(draw_ids: tuple[str, ...], entropy: str, url: str, token: str) -> None:
    """Execute committed draws with the declared public entropy (once; the same value again is harmless)."""
    with _client(url, token) as http, click.progressbar(draw_ids, label="executing", file=sys.stderr) as bar:
        done = [_ok(http.post(f"/v1/draws/{d}/execute", json={"external_entropy": entropy})) for d in bar]
    for executed in done:
        click.echo(f"{executed['id']}\t{executed['status']}\t{len(executed['selections'] or [])} selected")


@draw.command("show")
@click.argument("draw_id")
@click.option(
    "--record", "record_path", type=click.Path(dir_okay=False, path_type=Path), help="Save the public record."
)
@url_option
def show(draw_id: str, record_path: Path | None, url: str) -> None:
    """Print a draw (public); with --record, save its record for `ssj verify-draw`."""
    with httpx.Client(base_url=url, timeout=120) as http:
        shown = _ok(http.get(f"/v1/draws/{draw_id}"))
        if record_path:
            record = _ok(http.get(f"/v1/draws/{draw_id}/record"))
            record_path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    click.echo(json.dumps(shown, ensure_ascii=False, indent=2))
