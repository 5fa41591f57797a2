"""The disclosure site's results page: server-rendered Chinese HTML, everything escaped, read by
headless Chromium from a live uvicorn server (real commits, a database of its own)."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from disclosure import sequencer, site
from disclosure.config import Settings
from disclosure.main import create_app
from shared.db import make_engine, make_sessionmaker
from shared.testing import app_client, auth, migrated_database

from .browser import dump_dom, live_server
from .conftest import OFFICER, SERVICE_DIR
from .factories import completed_event, deliver, entity

pytestmark = pytest.mark.integration
OF = auth(OFFICER[0])
HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=\"document.body.id='pwned'\">"


class Rows(HTMLParser):
    """The text of each cell of #results tbody rows, and any element the page should never have."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.tags: set[str] = set()
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.add(tag)
        if tag == "tr" and any(k == "data-result-id" for k, _ in attrs):
            self.rows.append([])
        if tag == "td" and self.rows:
            self.cell = []
        self._in_title = tag == "title"

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag == "td" and self.cell is not None:
            self.rows[-1].append("".join(self.cell))
            self.cell = None
        self._in_title = False

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if self.cell is not None:
            self.cell.append(data)
        if self._in_title:
            self.title += data


def parse(html: str) -> Rows:
    rows = Rows()
    rows.feed(html)
    return rows


def test_everything_from_the_data_is_escaped():
    item = {
        "result_id": 'r-"><x',
        "entity": {"name": HOSTILE, "credit_code": "<b>"},
        "sector_name_zh": "网吧",
        "completed_at": "2026-11-20T10:30:00+00:00",
        "outcome_zh": "<i>",
        "latest_release": 2,
        "url": "/public/v1/results/r-\"'><x",
    }
    filters = {"entity_name": '"><script>alert(1)</script>', "period": "13912345678"}
    html = site.results_page([item], filters=filters, next_cursor="a&b", error="<bad>")
    assert "<script" not in html and "<img" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;" in html and "&lt;bad&gt;" in html and "&quot;&gt;&lt;x" in html
    assert "13912345678" not in html  # an echoed query is redacted as well
    assert "（已更正）" in html and "cursor=a%26b" in html


@pytest.fixture
async def published_site(tmp_path: Path) -> str:
    """A database with three published results (one with a hostile name); returns its URL."""
    url = await migrated_database(SERVICE_DIR, "disclosure_site")
    settings = Settings(database_url=url, callers=[OFFICER[1]], log_json=False, feed_sequence_on_approve=False)
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    events = [
        completed_event(entity=entity("internet_cafe", name="抚顺市星际网络会所")),
        completed_event(entity=entity("fire_safety", name=HOSTILE)),
        completed_event(
            findings=[{"item_code": "entertainment.filing", "result": "non_compliant", "note": ""}],
            outcome={"type": "rectification_ordered", "rectification_deadline": "2026-12-31", "note": ""},
        ),
    ]
    async with app_client(create_app(settings)) as client:
        for event in events:
            await deliver(maker, event)
        for result in (await client.get("/v1/results", headers=OF)).json()["items"]:
            assert (await client.post(f"/v1/results/{result['id']}/approve", json={}, headers=OF)).status_code == 200
    await sequencer.sequence(maker)
    await engine.dispose()
    return url


def test_chromium_renders_the_chinese_results_page(published_site: str, tmp_path: Path):
    env = {
        "DISCLOSURE_DATABASE_URL": published_site,
        "DISCLOSURE_LOG_JSON": "false",
        "DISCLOSURE_EMBEDDED_BUS_PATH": str(tmp_path / "bus.sqlite"),
    }
    with live_server(env, tmp_path / "uvicorn.log") as base:
        page = parse(dom := dump_dom(base + "/public/results", screenshot=tmp_path / "results.png"))
        cafes = parse(dump_dom(base + "/public/results?sector=internet_cafe"))
        bad = dump_dom(base + "/public/results?period=2026-Q9")
    assert page.title == "双随机抽查结果公示 - 抚顺市公安局"  # no script ran
    assert 'id="pwned"' not in dom and "script" not in page.tags and "img" not in page.tags
    assert "抚顺市公安局“双随机、一公开”抽查结果公示" in dom and "本页显示 3 条抽查结果" in dom
    names = {row[0] for row in page.rows}
    assert names == {"抚顺市星际网络会所", HOSTILE, next(r[0] for r in page.rows if r[0].startswith("抚顺市金色年华"))}
    outcomes = {row[0]: row[4] for row in page.rows}
    assert outcomes["抚顺市星际网络会所"] == "未发现问题" and "责令限期整改" in outcomes.values()
    assert {row[2] for row in page.rows} == {"网吧", "单位履行消防安全职责", "娱乐场所"}
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[3]) for row in page.rows)
    assert [row[0] for row in cafes.rows] == ["抚顺市星际网络会所"]
    assert "查询条件有误" in bad and "period" in bad
    assert (tmp_path / "results.png").stat().st_size > 10_000
