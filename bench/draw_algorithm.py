"""ssj-draw-v1 on a large pool (2 strata, weights 1-5, 5 % quota, 400 inspectors, teams of two),
against PostgreSQL's naive `ORDER BY random() LIMIT k` on the same rows in the same run."""

import asyncio
import os
import random
import time
import tracemalloc

import asyncpg

from draw import algorithm as alg

PG = os.environ.get("SSJ_TEST_PG", "postgresql://postgres@127.0.0.1:55432")


def make_pool(n: int) -> tuple[list[alg.Candidate], list[alg.Inspector]]:
    rng = random.Random(1)
    pool = [
        alg.Candidate(f"E{i:08d}", "fire_safety/unit" if i % 2 else "internet_cafe/cafe", rng.randint(1, 5))
        for i in range(n)
    ]
    inspectors = [alg.Inspector(f"I{i:04d}", ()) for i in range(400)]
    return pool, inspectors


def run_algorithm(pool: list[alg.Candidate], inspectors: list[alg.Inspector]) -> tuple[float, float, int]:
    quotas = {"fire_safety/unit": 0, "internet_cafe/cafe": 0}
    for c in pool:
        quotas[c.stratum] += 1
    quotas = {s: -(-size * 5 // 100) for s, size in quotas.items()}
    commitment = alg.commitment_text("bench", pool, inspectors, 2, quotas, alg.secret_sha256(b"\x01" * 32), "bench")
    seed = alg.seed(commitment, b"\x01" * 32, "x")
    started = time.perf_counter()
    selections = alg.execute(seed, pool, inspectors, 2, quotas)
    elapsed = time.perf_counter() - started
    tracemalloc.start()  # a second, slower pass only to measure the algorithm's own peak allocation
    alg.execute(seed, pool, inspectors, 2, quotas)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak / 2**20, len(selections)


async def naive_sql(pool: list[alg.Candidate], k: int) -> float:
    conn = await asyncpg.connect(f"{PG}/postgres")
    try:
        await conn.execute(
            "DROP TABLE IF EXISTS bench_pool; CREATE UNLOGGED TABLE bench_pool "
            "(entity_id text PRIMARY KEY, stratum text, weight int)"
        )
        await conn.copy_records_to_table("bench_pool", records=[(c.entity_id, c.stratum, c.weight) for c in pool])
        await conn.execute("ANALYZE bench_pool")
        started = time.perf_counter()
        for stratum in ("fire_safety/unit", "internet_cafe/cafe"):
            await conn.fetch(
                "SELECT entity_id FROM bench_pool WHERE stratum = $1 ORDER BY random() LIMIT $2", stratum, k // 2
            )
        return time.perf_counter() - started
    finally:
        await conn.execute("DROP TABLE IF EXISTS bench_pool")
        await conn.close()


def main(n: int) -> dict[str, object]:
    pool, inspectors = make_pool(n)
    elapsed, peak_mib, k = run_algorithm(pool, inspectors)
    baseline = asyncio.run(naive_sql(pool, k))
    return {
        "pool": n,
        "selected": k,
        "algorithm_s": round(elapsed, 3),
        "peak_mib": round(peak_mib, 1),
        "order_by_random_s": round(baseline, 3),
        "ratio_vs_order_by_random": round(elapsed / baseline, 2),
    }


if __name__ == "__main__":
    print(main(int(os.environ.get("BENCH_POOL", "1000000"))))
