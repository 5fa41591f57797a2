from shared.limits import SlidingWindow


def test_sliding_window_allows_the_limit_then_says_when_to_retry():
    window = SlidingWindow(limit=3, window=60)
    assert [window.retry_after("a", now=t) for t in (0, 1, 2)] == [0, 0, 0]
    assert window.retry_after("a", now=10) == 50
    assert window.retry_after("b", now=10) == 0  # clients are counted apart
    assert window.retry_after("a", now=60.5) == 0  # the first hit has left the window


def test_refused_hits_do_not_count():
    window = SlidingWindow(limit=1, window=10)
    assert window.retry_after("a", now=0) == 0
    for t in range(1, 9):
        assert window.retry_after("a", now=t) > 0
    assert window.retry_after("a", now=10.1) == 0
