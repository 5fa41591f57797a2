"""Start the five services (API + worker each) as separate processes: `make run` and the
end-to-end tests use the same launcher, so what the tests prove is what an operator runs."""

import importlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.auth import token_sha256
from shared.migrations import upgrade

SERVICES = ("registry", "draw", "inspection", "disclosure", "notify")
DEFAULT_PORTS = {"registry": 8001, "draw": 8002, "inspection": 8003, "disclosure": 8004, "notify": 8005}
ALL_SCOPES = [
    "registry:read",
    "registry:write",
    "draw:commit",
    "draw:execute",
    "draw:read",
    "draw:void",
    "inspection:read",
    "inspection:record",
    "disclosure:read",
    "disclosure:approve",
    "notify:admin",
]


def service_dir(name: str) -> Path:
    module = importlib.import_module(name)
    return Path(module.__file__ or "").resolve().parents[2]


@dataclass
class StackConfig:
    var_dir: Path
    database_urls: dict[str, str]
    bus: str = "embedded"
    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_prefix: str = ""
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    admin_token: str = ""
    service_token: str = ""
    notify_secret_key: str = ""
    extra_env: dict[str, dict[str, str]] = field(default_factory=dict)
    # Scale-out: more API instances (on these extra ports) and more workers per service.
    extra_api_ports: dict[str, list[int]] = field(default_factory=dict)
    workers: dict[str, int] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def urls(self, name: str) -> list[str]:
        """Every API instance of a service, the first being url(name)."""
        return [self.url(name)] + [f"http://127.0.0.1:{p}" for p in self.extra_api_ports.get(name, [])]

    def callers_file(self) -> Path:
        return self.var_dir / "callers.json"

    def write_callers(self) -> None:
        """The operator's all-scopes token and the token services use to call each other."""
        callers = [
            {"name": "operator", "token_sha256": token_sha256(self.admin_token), "scopes": ALL_SCOPES},
            {
                "name": "ssj-services",
                "token_sha256": token_sha256(self.service_token),
                "scopes": ["registry:read", "draw:execute"],
            },
        ]
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.callers_file().write_text(json.dumps(callers, indent=2), encoding="utf-8")

    def env(self, name: str) -> dict[str, str]:
        p = name.upper() + "_"
        env = {
            p + "DATABASE_URL": self.database_urls[name],
            p + "BUS": self.bus,
            p + "KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            p + "EMBEDDED_BUS_PATH": str(self.var_dir / "bus.sqlite"),
            p + "TOPIC_PREFIX": self.topic_prefix,
            p + "CALLERS_FILE": str(self.callers_file()),
            p + "REGISTRY_URL": self.url("registry"),
            p + "REGISTRY_TOKEN": self.service_token,
            p + "SECRET_KEY": self.notify_secret_key,
            p + "DRAW_URL": self.url("draw"),
            p + "DRAW_TOKEN": self.service_token,
            p + "EVIDENCE_DIR": str(self.var_dir / "evidence"),
            # Local stacks only: the operator's token may act as any officer (X-Inspector-Id),
            # as a field gateway that authenticates officers itself would.
            p + "INSPECTOR_BINDINGS": json.dumps({"operator": ["*"]}),
        }
        return env | self.extra_env.get(name, {})


class Stack:
    def __init__(self, config: StackConfig, log_dir: Path) -> None:
        self.config, self.log_dir = config, log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def migrate(self) -> None:
        for name in SERVICES:
            upgrade(service_dir(name), self.config.database_urls[name])

    def _spawn(self, key: str, args: list[str], name: str, extra: dict[str, str] | None = None) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{key}.log", "ab")  # owned by the child process
        env = os.environ | self.config.env(name) | (extra or {})
        self.procs[key] = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)

    def start_api(self, name: str, instance: int = 1) -> None:
        port = self.config.ports[name] if instance == 1 else self.config.extra_api_ports[name][instance - 2]
        args = [
            sys.executable,
            "-m",
            "uvicorn",
            f"{name}.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
        ]
        self._spawn(_key(name, "api", instance), args, name)

    def start_worker(self, name: str, extra: dict[str, str] | None = None, instance: int = 1) -> None:
        self._spawn(_key(name, "worker", instance), [sys.executable, "-m", f"{name}.worker"], name, extra)

    def start(self) -> None:
        for name in SERVICES:
            for instance in range(1, 2 + len(self.config.extra_api_ports.get(name, []))):
                self.start_api(name, instance)
            for instance in range(1, 1 + self.config.workers.get(name, 1)):
                self.start_worker(name, instance=instance)
        self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        """Every API instance answers /readyz (database and bus reachable)."""
        deadline = time.monotonic() + timeout
        pending = {(_key(name, "api", i), url) for name in SERVICES for i, url in enumerate(self.config.urls(name), 1)}
        while pending and time.monotonic() < deadline:
            for key, url in sorted(pending):
                self._check_alive(key)
                try:
                    if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                        pending.discard((key, url))
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        if pending:
            raise RuntimeError(f"not ready after {timeout:.0f}s: {sorted(pending)}; logs in {self.log_dir}")

    def _check_alive(self, key: str) -> None:
        proc = self.procs[key]
        if proc.poll() is not None:
            tail = (self.log_dir / f"{key}.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{key} exited with {proc.returncode}:\n{tail}")

    def stop_process(self, key: str, sig: int = signal.SIGTERM, timeout: float = 15) -> int | None:
        proc = self.procs.pop(key, None)
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def stop(self) -> None:
        for key in list(self.procs):
            self.stop_process(key)


def _key(name: str, role: str, instance: int) -> str:
    """Process key: "draw-api", "draw-api-2", "draw-worker", "draw-worker-2" ..."""
    return f"{name}-{role}" if instance == 1 else f"{name}-{role}-{instance}"
