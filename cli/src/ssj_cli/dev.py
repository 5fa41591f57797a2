"""`ssj dev up` (what `make run` runs): the whole system on the embedded default."""

import base64
import secrets
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import click
import httpx
import uvicorn
from cryptography.fernet import Fernet

from registry.fakes.serve import DEMO_FAULTS, sources_setting, start_all
from ssj_cli import demo
from ssj_cli.receiver import create_receiver
from ssj_cli.stack import SERVICES, Stack, StackConfig

RECEIVER_PORT = 8009
FAKE_SOURCES_PORT = 8101  # the six fake source systems take 8101-8106
DEPARTMENTS = ("market_regulation", "culture_enforcement", "government")


def _read_or_create(path: Path, make: Any) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make(), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def embedded_config(var: Path) -> StackConfig:
    return StackConfig(
        var_dir=var,
        database_urls={name: f"sqlite+aiosqlite:///{var / (name + '.db')}" for name in SERVICES},
        admin_token=_read_or_create(var / "dev-token", lambda: secrets.token_urlsafe(32)),
        service_token=_read_or_create(var / "service-token", lambda: secrets.token_urlsafe(32)),
        notify_secret_key=_read_or_create(var / "notify-secret-key", lambda: Fernet.generate_key().decode()),
    )


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def start_receiver(secrets_by_dept: dict[str, str], port: int) -> uvicorn.Server:
    server = uvicorn.Server(
        uvicorn.Config(create_receiver(secrets_by_dept), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


def load_demo(config: StackConfig, receiver_url: str, secrets_by_dept: dict[str, str]) -> dict[str, Any]:
    """Demo registries, one subscription per department, and one committed + executed draw."""
    auth = {"Authorization": f"Bearer {config.admin_token}"}
    with httpx.Client(headers=auth, timeout=30) as http:
        _ok(http.post(config.url("registry") + "/v1/entities:batch", json={"entities": demo.entities()}))
        _ok(http.post(config.url("registry") + "/v1/inspectors:batch", json={"inspectors": demo.inspectors()}))
        existing = _ok(http.get(config.url("notify") + "/v1/subscriptions")).get("items", [])
        for dept in DEPARTMENTS:
            if not any(s["department"] == dept for s in existing):
                _ok(
                    http.post(
                        config.url("notify") + "/v1/subscriptions",
                        json={
                            "department": dept,
                            "url": f"{receiver_url}/hooks/{dept}",
                            "secret": secrets_by_dept[dept],
                        },
                    )
                )
        draw = _ok(
            http.post(
                config.url("draw") + "/v1/draws",
                json={
                    "title": "演示：娱乐场所季度双随机抽查 (demo quarterly venue check)",
                    "sector": "entertainment",
                    "quota": {"percent": 20},
                    "team_size": 2,
                    "inspector_units": ["county_public_order"],
                    "entropy_source": "demo: the string 'make run'",
                    "period": "2026-Q4",
                    "checking_body": "county_public_order",
                },
            )
        )
        return _ok(
            http.post(config.url("draw") + f"/v1/draws/{draw['id']}/execute", json={"external_entropy": "make run"})
        )


def _ok(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise click.ClickException(
            f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
        )
    return response.json()


@click.group()
def dev() -> None:
    """Run the system locally."""


@dev.command("up")
@click.option("--var", "var_dir", default="var", type=click.Path(path_type=Path), show_default=True)
def up(var_dir: Path) -> None:
    """Migrate, start the five APIs and workers on SQLite + the embedded log, load demo data."""
    config = embedded_config(var_dir.resolve())
    fake_ports = list(range(FAKE_SOURCES_PORT, FAKE_SOURCES_PORT + 6))
    busy = [p for p in [*config.ports.values(), RECEIVER_PORT, *fake_ports] if not _port_free(p)]
    if busy:
        raise click.ClickException(f"ports already in use: {busy} (is another `make run` up?)")
    config.write_callers()
    stack = Stack(config, config.var_dir / "logs")
    click.echo("migrating the five databases …")
    stack.migrate()
    dept_secrets = {d: _read_or_create(config.var_dir / f"webhook-{d}.secret", new_webhook_secret) for d in DEPARTMENTS}
    start_receiver(dept_secrets, RECEIVER_PORT)
    click.echo("starting the fake provincial and city source systems the registry syncs from …")
    sources = start_all(FAKE_SOURCES_PORT, faults=DEMO_FAULTS)
    config.extra_env["registry"] = {"REGISTRY_SOURCES": sources_setting(sources)}
    # Background jobs of a non-interactive shell ignore SIGINT: make SIGTERM stop us cleanly too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        stack.start()
        click.echo("loading demo registries and one executed demo draw …")
        executed = load_demo(config, f"http://127.0.0.1:{RECEIVER_PORT}", dept_secrets)
        _banner(config, executed)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("stopping …")
    finally:
        stack.stop()


def _banner(config: StackConfig, executed: dict[str, Any]) -> None:
    click.echo("\nssj is up (embedded default: SQLite files + embedded event log in var/)\n")
    for name in SERVICES:
        click.echo(f"  {name:<11} {config.url(name)}/docs")
    click.echo(f"  receiver    http://127.0.0.1:{RECEIVER_PORT}/received  (department webhooks)")
    click.echo(f"  sources     http://127.0.0.1:{FAKE_SOURCES_PORT}-{FAKE_SOURCES_PORT + 5}  (fake source systems)")
    click.echo(f"\n  demo draw   {config.url('draw')}/v1/draws/{executed['id']}/record")
    click.echo(f"  token       {config.var_dir / 'dev-token'}  (all scopes; use Authorize in /docs)")
    click.echo(f"  logs        {config.var_dir / 'logs'}/\n\nCtrl-C stops everything.")
