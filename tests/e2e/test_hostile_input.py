"""Schemathesis against every service's OpenAPI document, anonymous and authenticated, on the
real processes (PostgreSQL + Kafka): no server errors and no response off its documented schema."""

import asyncio
import sys
from pathlib import Path

import pytest

from ssj_cli.stack import SERVICES

from .conftest import Running, launch

pytestmark = pytest.mark.integration
MAX_EXAMPLES = "12"


@pytest.fixture(scope="module")
async def system(tmp_path_factory):  # type: ignore[no-untyped-def]
    async with launch("kafka", tmp_path_factory.mktemp("hostile")) as running:
        yield running


async def schemathesis(running: Running, name: str, report: Path, *headers: str) -> tuple[int, str]:
    args = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{running.config.url(name)}/openapi.json",
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--max-examples",
        MAX_EXAMPLES,
        "--phases",
        "examples,coverage,fuzzing",
        "--seed",
        "20261126",
        "--request-timeout",
        "30",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
    ]
    for header in headers:
        args += ["-H", header]
    proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode(errors="replace")


@pytest.mark.parametrize("name", SERVICES)
@pytest.mark.parametrize("who", ["anonymous", "operator"])
async def test_no_server_errors_and_no_response_off_schema(system: Running, name, who, tmp_path):
    headers = [f"Authorization: Bearer {system.config.admin_token}"] if who == "operator" else []
    code, output = await schemathesis(system, name, tmp_path / "junit.xml", *headers)
    assert code == 0, f"schemathesis found problems in {name} ({who}):\n{output[-6000:]}"
