"""`ssj registry`: operator commands for the registry — sync a source system now, import a file.

    ssj registry sources
    ssj registry sync hotel [--mode incremental]
    ssj registry import 娱乐场所.csv --encoding gbk [--errors-csv errors.csv]

The registry is reached at --url / SSJ_REGISTRY_URL with the token in --token / SSJ_TOKEN
(`make run` writes an all-scopes token to var/dev-token, used when neither is given).
"""

import csv
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

import click
import httpx
from tqdm import tqdm

DEV_TOKEN = Path("var/dev-token")
ENCODINGS = ("utf-8", "gbk", "gb18030")
ID_HEADERS = {"id", "编号", "主体编号"}  # the import's names for the id column (registry.imports)
FINISHED = {"succeeded", "failed"}


class Refused(click.ClickException):
    exit_code = 2


def _token(token: str | None) -> str:
    if token:
        return token
    if DEV_TOKEN.exists():
        return DEV_TOKEN.read_text(encoding="utf-8").strip()
    raise click.UsageError("no token: pass --token or set SSJ_TOKEN (make run writes var/dev-token)")


def _answer(response: httpx.Response) -> Any:
    """The JSON body, or the problem+json detail as a clean error (exit 2)."""
    if response.status_code < 400:
        return response.json()
    try:
        problem = response.json()
        message = f"{problem.get('title', response.status_code)}: {problem.get('detail', '')}".rstrip(": ")
    except ValueError:
        message = response.text[:300]
    raise Refused(f"{response.request.method} {response.request.url.path} -> {response.status_code} {message}")


@click.group("registry")
@click.option("--url", envvar="SSJ_REGISTRY_URL", default="http://127.0.0.1:8001", show_default=True)
@click.option("--token", envvar="SSJ_TOKEN", help="Bearer token (registry:read, registry:write to change things)")
@click.pass_context
def registry(ctx: click.Context, url: str, token: str | None) -> None:
    """The registry of regulated entities and inspectors (监管对象与执法人员名录)."""
    ctx.obj = {"url": url, "token": token}


def _client(ctx: click.Context, timeout: float = 120) -> httpx.Client:
    headers = {"Authorization": f"Bearer {_token(ctx.obj['token'])}"}
    return httpx.Client(base_url=ctx.obj["url"], headers=headers, timeout=timeout)


@registry.command("sources")
@click.pass_context
def sources(ctx: click.Context) -> None:
    """The source systems, their wire format and their last sync."""
    with _client(ctx) as http:
        for source in _answer(http.get("/v1/sources"))["items"]:
            last = source["last_run"]
            state = f"{last['status']} {last['finished_at'] or last['created_at']}" if last else "never synced"
            configured = "configured" if source["configured"] else "not configured"
            click.echo(f"{source['name']:<11} {source['title_zh']}  [{configured}; {state}]")


@registry.command("sync")
@click.argument("source")
@click.option("--mode", type=click.Choice(["full", "incremental"]), default="full", show_default=True)
@click.option("--wait/--no-wait", default=True, show_default=True, help="Follow the run to its end")
@click.option("--poll", type=float, default=0.5, show_default=True, help="Seconds between progress checks")
@click.pass_context
def sync(ctx: click.Context, source: str, mode: str, wait: bool, poll: float) -> None:
    """Sync SOURCE now (hotel, security, explosives, fire, market, netcafe) and show its progress.
    Exit 0 when the run succeeds, 1 when it fails, 2 when it cannot start."""
    with _client(ctx) as http:
        run = _answer(http.post(f"/v1/sources/{source}/sync", json={"mode": mode}))
        click.echo(f"sync {run['id']} of {source} ({mode}) queued")
        if not wait:
            return
        run = follow(http, run["id"], poll)
    _report_run(run)
    sys.exit(0 if run["status"] == "succeeded" else 1)


def follow(http: httpx.Client, run_id: str, poll: float) -> dict[str, Any]:
    """Poll the run until it ends, with a progress bar over the records the source lists."""
    with tqdm(desc="records", unit="rec", dynamic_ncols=True) as bar:
        while True:
            run = _answer(http.get(f"/v1/sync-runs/{run_id}"))
            if run["records_total"] and bar.total != run["records_total"]:
                bar.total = run["records_total"]
            bar.update(run["records_seen"] - bar.n)
            counts = run["counts"]
            bar.set_postfix(status=run["status"], pages=run["pages_done"], rejected=counts["rejected"])
            if run["status"] in FINISHED:
                return dict(run)
            time.sleep(poll)


def _report_run(run: dict[str, Any]) -> None:
    counts = ", ".join(f"{name} {value}" for name, value in run["counts"].items())
    click.echo(f"{run['status']}: {counts}" + (f" (resumed {run['resumes']}x)" if run["resumes"] else ""))
    if run.get("error"):
        click.echo(f"error: {run['error']}", err=True)
    for error in run.get("errors", [])[:20]:
        click.echo(f"  row {error['row']} {error['source_ref'] or ''} {error['field']}: {error['reason']}")
    if run.get("errors_total", 0) > 20:
        click.echo(f"  ... {run['errors_total'] - 20} more at /v1/sync-runs/{run['id']}/errors")


@registry.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--encoding", type=click.Choice(ENCODINGS), default="utf-8", show_default=True, help="CSV encoding")
@click.option("--batch-rows", type=click.IntRange(1, 50_000), default=5000, show_default=True)
@click.option("--all-or-nothing", is_flag=True, help="Refuse each upload that has any invalid row")
@click.option("--errors-csv", type=click.Path(dir_okay=False, path_type=Path), help="Write every rejected row here")
@click.pass_context
def import_file(
    ctx: click.Context, file: Path, encoding: str, batch_rows: int, all_or_nothing: bool, errors_csv: Path | None
) -> None:
    """Import FILE (CSV in UTF-8 or GBK, or JSON {"entities": [...]}) row by row: valid rows are
    kept, invalid ones reported with row, field and reason. Large files are sent in uploads of
    --batch-rows rows; reported rows are the file's own. Exit 0 if every row was imported, 1 if
    some were rejected, 2 if the file was refused."""
    if file.suffix.lower() == ".json":
        body = file.read_bytes()
        uploads = [(body, "application/json", 0, len(_json_rows(file, body)))]
        skipped: list[dict[str, Any]] = []
    else:
        uploads, skipped = split_csv(file, encoding, batch_rows)
    totals = {"rows": len(skipped), "inserted": 0, "updated": 0, "unchanged": 0, "rejected": len(skipped)}
    errors = list(skipped)
    params = {"all_or_nothing": str(all_or_nothing).lower()}
    with _client(ctx, timeout=600) as http, tqdm(total=sum(n for *_, n in uploads), unit="row", desc="import") as bar:
        for body, content_type, offset, rows in uploads:
            headers = {"Content-Type": content_type}
            report = _answer(
                http.post("/v1/entities:import", content=body, headers=headers, params=params | {"row_offset": offset})
            )
            for name in ("inserted", "updated", "unchanged", "rejected"):
                totals[name] += report["counts"][name]
            totals["rows"] += report["records_seen"]
            errors += (
                report["errors"] if report["errors_total"] == len(report["errors"]) else _all_errors(http, report["id"])
            )
            bar.update(rows)
    click.echo(", ".join(f"{k} {v}" for k, v in totals.items()))
    for error in sorted(errors, key=lambda e: e["row"] or 0)[:20]:
        click.echo(f"  row {error['row']} {error['field']}: {error['reason']}")
    if errors_csv:
        _write_errors(errors_csv, errors)
    sys.exit(1 if totals["rejected"] else 0)


def split_csv(
    file: Path, encoding: str, batch_rows: int
) -> tuple[list[tuple[bytes, str, int, int]], list[dict[str, Any]]]:
    """UTF-8 uploads of at most batch_rows rows, each with its first row's offset; and the rows
    left out because their id already appeared earlier in the file (a later upload could not see
    it). An upload never spans a left-out row, so every reported row number stays the file's."""
    try:
        text = file.read_bytes().decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError as exc:
        hint = " (try --encoding gbk)" if encoding == "utf-8" else ""
        raise Refused(f"{file} is not valid {encoding} at byte {exc.start}{hint}") from None
    try:
        records = [r for r in csv.reader(io.StringIO(text, newline=""), strict=True) if any(c.strip() for c in r)]
    except csv.Error as exc:
        raise Refused(f"{file} is not CSV: {exc}") from None
    if len(records) < 2:
        raise Refused(f"{file} has no rows")
    header, at = records[0], _id_column(records[0])
    uploads: list[tuple[bytes, str, int, int]] = []
    skipped: list[dict[str, Any]] = []
    chunk: list[list[str]] = []
    first_seen: dict[str, int] = {}
    start = 2
    for number, record in enumerate(records[1:], start=2):
        ident = record[at].strip() if at is not None and at < len(record) else ""
        if ident in first_seen:
            reason = f"duplicate of row {first_seen[ident]}"
            skipped.append({"row": number, "field": "id", "reason": reason, "source_ref": ident})
            if chunk:
                uploads.append(_upload(header, chunk, start))
                chunk = []
            continue
        if ident:
            first_seen[ident] = number
        if len(chunk) == batch_rows:
            uploads.append(_upload(header, chunk, start))
            chunk = []
        if not chunk:
            start = number
        chunk.append(record)
    if chunk:
        uploads.append(_upload(header, chunk, start))
    return uploads, skipped


def _json_rows(file: Path, body: bytes) -> list[Any]:
    try:
        rows = json.loads(body).get("entities")
    except (ValueError, AttributeError):
        rows = None
    if not isinstance(rows, list):
        raise Refused(f'{file} is not JSON of the form {{"entities": [...]}}')
    return rows


def _all_errors(http: httpx.Client, run_id: str) -> list[dict[str, Any]]:
    errors, cursor = [], None
    while True:
        params = {"limit": 1000} | ({"cursor": cursor} if cursor else {})
        page = _answer(http.get(f"/v1/sync-runs/{run_id}/errors", params=params))
        errors += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return errors


def _id_column(header: list[str]) -> int | None:
    names = [h.strip().lstrip("\ufeff") for h in header]
    return next((i for i, name in enumerate(names) if name in ID_HEADERS), None)


def _upload(header: list[str], rows: list[list[str]], first_row: int) -> tuple[bytes, str, int, int]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(), "text/csv; charset=utf-8", first_row - 2, len(rows)


def _write_errors(path: Path, errors: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=["row", "source_ref", "field", "reason"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(sorted(errors, key=lambda e: e["row"] or 0))
