"""python -m registry.fakes.serve: every fake source system as a real HTTP server.

    python -m registry.fakes.serve --port 8101 --size 60 --seed 7 --faults

prints the REGISTRY_SOURCES value that points the registry at them. `start_all` does the same in
a background thread for launchers (ssj dev up) and end-to-end tests.
"""

import argparse
import json
import threading
import time

import uvicorn

from registry.fakes import FAKES
from registry.fakes.faults import FaultPlan

# What `--faults` turns on: a busy but working provincial system.
DEMO_FAULTS = FaultPlan(rate_limit_every=9, retry_after=1, error_every=13)


def start_all(
    first_port: int, *, size: int = 60, seed: int = 7, faults: FaultPlan | None = None, host: str = "127.0.0.1"
) -> dict[str, str]:
    """Start every fake on consecutive ports in daemon threads; returns {source: base URL}."""
    urls = {}
    for offset, (name, create_app) in enumerate(sorted(FAKES.items())):
        plan = faults.model_copy(deep=True) if faults else FaultPlan()
        app = create_app(seed=seed, size=size, plan=plan)
        server = uvicorn.Server(uvicorn.Config(app, host=host, port=first_port + offset, log_level="warning"))
        threading.Thread(target=server.run, name=f"fake-{name}", daemon=True).start()
        while not server.started:
            time.sleep(0.02)
        urls[name] = f"http://{host}:{first_port + offset}"
    return urls


def sources_setting(urls: dict[str, str], every_minutes: float = 60) -> str:
    """The REGISTRY_SOURCES value for these URLs: a full sync at start, incremental ones after."""
    return json.dumps({name: {"url": url, "every_minutes": every_minutes} for name, url in urls.items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8101, help="first port; the six fakes take consecutive ports")
    parser.add_argument("--size", type=int, default=60, help="units per system")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--faults", action="store_true", help="answer some requests with 429 and 5xx")
    args = parser.parse_args()
    urls = start_all(args.port, size=args.size, seed=args.seed, faults=DEMO_FAULTS if args.faults else None)
    for name, url in urls.items():
        print(f"{name:<11} {url}/docs")
    print(f"\nREGISTRY_SOURCES='{sources_setting(urls)}'")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
