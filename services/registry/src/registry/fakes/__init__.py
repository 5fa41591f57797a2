"""Fake source systems: one FastAPI app per system the seed names, each with its own wire format,
deterministic for a seed, with a calendar (units open, change and close) and fault injection.
Tests run them in-process (httpx.ASGITransport); `python -m registry.fakes.serve` runs them all
as real servers for `make run` and demos."""

from collections.abc import Callable

from fastapi import FastAPI

from registry.fakes import explosives, fire, hotel, market, netcafe, security
from registry.fakes.faults import FaultPlan

FAKES: dict[str, Callable[..., FastAPI]] = {
    "hotel": hotel.create_app,
    "security": security.create_app,
    "explosives": explosives.create_app,
    "fire": fire.create_app,
    "market": market.create_app,
    "netcafe": netcafe.create_app,
}

__all__ = ["FAKES", "FaultPlan"]
