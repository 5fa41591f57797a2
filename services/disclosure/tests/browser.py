"""Test-only helpers: a live uvicorn server of the disclosure app, and headless Chromium reading
a page from it. Chromium missing is a failure, not a skip: CI needs `apt-get install -y chromium`."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        pytest.fail("Chromium is not installed: the results page is tested in it (CI: apt-get install -y chromium)")
    return found


@contextmanager
def live_server(env: dict[str, str], log: Path) -> Iterator[str]:
    """`uvicorn disclosure.main:create_app --factory` on a free port; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "disclosure.main:create_app", "--factory", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=os.environ | env, stdout=out, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(200):
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
            else:
                raise AssertionError(f"uvicorn did not start: {log.read_text(errors='replace')}")
            yield base
        finally:
            process.terminate()
            process.wait(10)


def dump_dom(url: str, *, screenshot: Path | None = None) -> str:
    """The DOM after the page loaded (scripts, had any been allowed to run, would have run)."""
    with tempfile.TemporaryDirectory() as profile:
        flags = [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
        if screenshot is not None:
            shot = [chromium(), *flags, f"--screenshot={screenshot}", "--window-size=1280,900", url]
            subprocess.run(shot, capture_output=True, timeout=90, check=True)
        done = subprocess.run([chromium(), *flags, "--dump-dom", url], capture_output=True, timeout=90, check=True)
    return done.stdout.decode()
