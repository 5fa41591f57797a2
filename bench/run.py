"""make bench: every benchmark, each reported with a baseline measured in the same run.
Sizes come from environment variables (see each module); results go to stdout and var/bench.json.
`python bench/run.py NAME…` runs only those."""

import importlib
import inspect
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

BENCHES = ["registry_import", "draw_algorithm", "inspection_tasks", "disclosure_feed", "notify_latency"]


def run(name: str) -> dict[str, object]:
    main = importlib.import_module(name).main
    required = [p for p in inspect.signature(main).parameters.values() if p.default is p.empty]
    if required:  # every benchmark sizes itself from the environment, with the figures as defaults
        raise TypeError(f"bench/{name}.py: main() must run without arguments")
    return dict(main())


def main() -> None:
    results = {}
    for name in sys.argv[1:] or BENCHES:
        print(f"== {name} ...", flush=True)
        results[name] = run(name)
        print(json.dumps(results[name], ensure_ascii=False, default=str), flush=True)
    Path("var").mkdir(exist_ok=True)
    Path("var/bench.json").write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
