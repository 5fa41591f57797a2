"""The five services as separate processes (5 APIs + 5 workers), on PostgreSQL + Kafka and on the
embedded default, plus a real department webhook receiver."""

import secrets
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from cryptography.fernet import Fernet

from shared.testing import KAFKA_BOOTSTRAP, create_database
from ssj_cli.dev import DEPARTMENTS, new_webhook_secret, start_receiver
from ssj_cli.stack import SERVICES, Stack, StackConfig


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Running:
    stack: Stack
    config: StackConfig
    receiver: uvicorn.Server
    receiver_url: str
    secrets: dict[str, str]

    @property
    def inbox(self):  # type: ignore[no-untyped-def]
        return self.receiver.config.app.state.inbox


async def _database_urls(backend: str, var: Path) -> dict[str, str]:
    if backend == "embedded":
        return {name: f"sqlite+aiosqlite:///{var / (name + '.db')}" for name in SERVICES}
    return {name: await create_database(f"e2e_{name}") for name in SERVICES}


@asynccontextmanager
async def launch(backend: str, var: Path) -> AsyncIterator[Running]:
    """The whole system as processes on one backend, with a department receiver."""
    fast = {
        name: {
            f"{name.upper()}_RELAY_INTERVAL_SECONDS": "0.05",
            f"{name.upper()}_PUBLIC_RATE_LIMIT_PER_MINUTE": "100000",
        }
        for name in SERVICES
    }
    fast["notify"] |= {"NOTIFY_DELIVERY_POLL_SECONDS": "0.05"}
    fast["disclosure"] |= {"DISCLOSURE_SEQUENCER_INTERVAL_SECONDS": "0.1"}
    config = StackConfig(
        var_dir=var,
        database_urls=await _database_urls(backend, var),
        bus=backend,
        kafka_bootstrap=KAFKA_BOOTSTRAP,
        topic_prefix=f"e2e{uuid.uuid4().hex[:6]}.",
        ports={name: free_port() for name in SERVICES},
        admin_token=secrets.token_urlsafe(24),
        service_token=secrets.token_urlsafe(24),
        notify_secret_key=Fernet.generate_key().decode(),
        extra_env=fast,
    )
    config.write_callers()
    dept_secrets = {d: new_webhook_secret() for d in DEPARTMENTS}
    port = free_port()
    receiver = start_receiver(dept_secrets, port)
    stack = Stack(config, var / "logs")
    stack.migrate()
    try:
        stack.start()
        yield Running(stack, config, receiver, f"http://127.0.0.1:{port}", dept_secrets)
    finally:
        stack.stop()
        receiver.should_exit = True


@pytest.fixture(scope="module", params=["embedded", pytest.param("kafka", marks=pytest.mark.integration)])
async def running(request, tmp_path_factory) -> AsyncIterator[Running]:
    async with launch(request.param, tmp_path_factory.mktemp(f"e2e-{request.param}")) as system:
        yield system
