"""make bench: every benchmark, each reported with a baseline measured in the same run.
Sizes are set by environment variables (see each module); results go to stdout and var/bench.json."""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import draw_algorithm
import registry_import

BENCHES = {
    "draw_algorithm": lambda: draw_algorithm.main(int(os.environ.get("BENCH_POOL", "1000000"))),
    "registry_import": lambda: registry_import.main(int(os.environ.get("BENCH_ROWS", "20000"))),
}


def main() -> None:
    chosen = sys.argv[1:] or list(BENCHES)
    results = {}
    for name in chosen:
        print(f"== {name} ...", flush=True)
        results[name] = BENCHES[name]()
        print(json.dumps(results[name], ensure_ascii=False), flush=True)
    Path("var").mkdir(exist_ok=True)
    Path("var/bench.json").write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
