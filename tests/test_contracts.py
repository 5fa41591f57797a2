"""Documents that must track the code: the event catalogue and the compose file."""

import importlib
from pathlib import Path

import yaml

from ssj_cli.stack import SERVICES

ROOT = Path(__file__).resolve().parents[1]


def test_every_event_a_service_produces_is_documented():
    documented = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    for name in SERVICES:
        for event_type in importlib.import_module(f"{name}.events").PRODUCES:
            assert f"`{event_type}`" in documented, f"{name} produces {event_type}, missing from docs/events.md"


def test_every_consumed_event_is_produced_by_some_service():
    produced = {t for name in SERVICES for t in importlib.import_module(f"{name}.events").PRODUCES}
    for name in ("inspection", "disclosure", "notify"):
        for event_type in importlib.import_module(f"{name}.consumers").HANDLERS:
            assert event_type in produced, f"{name} consumes {event_type}, which nobody produces"


def test_compose_runs_every_api_and_worker_behind_healthy_dependencies():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert "healthcheck" in services["postgres"] and "healthcheck" in services["kafka"]
    assert services["kafka"]["image"].startswith("apache/kafka")
    for name in SERVICES:
        api, worker = services[f"{name}-api"], services[f"{name}-worker"]
        assert "healthcheck" in api
        assert api["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "kafka": {"condition": "service_healthy"},
        }
        assert worker["depends_on"] == {f"{name}-api": {"condition": "service_healthy"}}
        assert worker["command"] == ["python", "-m", f"{name}.worker"]
        assert api["environment"][f"{name.upper()}_BUS"] == "kafka"
