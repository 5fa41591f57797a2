"""paused_gc: overlapping pauses (threads, concurrent requests) leave the collector as they found it."""

import asyncio
import gc
import threading

from shared.collector import paused_gc, without_gc


def test_overlapping_pauses_enable_the_collector_only_after_the_last():
    assert gc.isenabled()
    first, second = paused_gc(), paused_gc()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first ends while the second still runs
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_pauses_from_threads_and_coroutines_nest():
    inside = threading.Event()
    release = threading.Event()

    def worker() -> None:
        with paused_gc():
            inside.set()
            release.wait(5)

    @without_gc
    async def request() -> bool:
        await asyncio.sleep(0)
        return gc.isenabled()

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    assert asyncio.run(request()) is False
    assert not gc.isenabled()  # the thread's pause outlived the request's
    release.set()
    thread.join(5)
    assert gc.isenabled()


def test_an_exception_ends_the_pause():
    try:
        with paused_gc():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert gc.isenabled()
