"""The `ssj` command line.

`cli` is a plain click group: commands for other areas live in their own modules and attach
themselves with `@cli.command()` or `cli.add_command(...)`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from draw import rfc3797
from draw.algorithm import DrawInputError
from draw.verify import verify_record


@click.group()
def cli() -> None:
    """ssj operator tools."""


class _Unreadable(Exception):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """Two values under one key would let two readers of one file see two different draws."""
    record: dict[str, object] = {}
    for key, value in pairs:
        if key in record:
            raise _Unreadable(f"duplicate key {json.dumps(key)} in JSON")
        record[key] = value
    return record


def _refuse_constant(name: str) -> object:
    raise _Unreadable(f"{name} is not JSON")


def load_record(path: Path) -> object:
    """The record as strict JSON, or _Unreadable saying why not."""
    try:
        text = path.read_bytes().decode("utf-8")
        return json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_refuse_constant)
    except OSError as error:
        raise _Unreadable(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise _Unreadable(f"{path} is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise _Unreadable(f"{path} is not valid JSON: {error}") from None
    except RecursionError:
        raise _Unreadable(f"{path} is nested too deeply") from None


@cli.command("verify-draw")
@click.argument("record_path", metavar="RECORD.json", type=click.Path(dir_okay=False, path_type=Path))
def verify_draw(record_path: Path) -> None:
    """Recompute a published draw record; exit 1 with the first reason if it is not valid."""
    try:
        reason = verify_record(load_record(record_path))
    except _Unreadable as error:
        reason = str(error)
    if reason is not None:
        click.echo(f"invalid: {reason}", err=True)
        sys.exit(1)
    click.echo("valid")


@cli.command("rfc3797")
@click.option("--pool-size", type=int, required=True, help="Number of pool entries, numbered from 1.")
@click.option("--count", type=int, required=True, help="How many to select.")
@click.option(
    "--source",
    "sources",
    multiple=True,
    required=True,
    help='One public source\'s numbers, e.g. "2 5 12 8 10"; repeat in the published order.',
)
def rfc3797_select(pool_size: int, count: int, sources: tuple[str, ...]) -> None:
    """Print the RFC 3797 selection, one pool position per line, in selection order."""
    try:
        positions = rfc3797.select(pool_size, count, list(sources))
    except DrawInputError as error:
        option = {"pool_size": "--pool-size", "count": "--count"}.get(error.field, "--source")
        raise click.BadParameter(error.message, param_hint=option) from None
    for position in positions:
        click.echo(position)


def _register_subgroups() -> None:
    """Operator command groups, each in its own module (imported here, after `cli` exists)."""
    from ssj_cli.audit import audit
    from ssj_cli.dev import dev
    from ssj_cli.draws import draw, plan
    from ssj_cli.registry import registry

    for group in (registry, plan, draw, audit, dev):
        cli.add_command(group)


_register_subgroups()

if __name__ == "__main__":
    cli()
