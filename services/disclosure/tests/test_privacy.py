"""Property: whatever personal identifiers the inputs carry (notes, penalties, appeal statements,
correction and withdrawal reasons, blacklisted persons, even entity names and search queries), no
ID-card number or phone number reaches any public response. Every public route is visited, and
the test checks that it visited them all."""

import random
import re
from datetime import UTC, datetime, timedelta

import pytest

from disclosure import exports, sequencer
from shared.testing import auth

from .conftest import OFFICER, READER
from .factories import blacklisted_event, completed_event, deliver, entity, id_number, sanctioned_event
from .test_redaction import FORBIDDEN, FULLWIDTH, _filler, _secret

pytestmark = pytest.mark.integration
OF, R = auth(OFFICER[0]), auth(READER[0])
SECTORS = ["entertainment", "special_trade", "security_service", "blasting", "fire_safety", "internet_cafe"]
# Identifiers of our own that may hold digit runs by chance: result/appeal/entry ids, cursors.
_TOKENS = re.compile(r"\b[rab]-[0-9a-f]{12}\b|cursor=[A-Za-z0-9_%-]+|\"next_cursor\":\"[^\"]*\"|\"next\":\"[^\"]*\"")


class Secrets:
    def __init__(self, rng: random.Random) -> None:
        self.rng, self.values = rng, []

    def text(self) -> str:
        found = [_secret(self.rng) for _ in range(self.rng.randrange(1, 3))]
        self.values += found
        if self.rng.random() < 0.3:
            found = [s.translate(FULLWIDTH) for s in found]
        return _filler(self.rng) + "".join(s + _filler(self.rng) for s in found)

    def forms(self) -> set[str]:
        """Each secret as written and as bare digits (with 86 stripped): none may appear."""
        out = set()
        for value in self.values:
            digits = re.sub(r"[^0-9Xx]", "", value.translate({0xFF10 + i: str(i) for i in range(10)}))
            digits = digits[2:] if len(digits) == 13 and digits.startswith("86") else digits
            out |= {value, digits, digits.upper()}
        return out


async def _pending_id(client, event) -> str:  # type: ignore[no-untyped-def]
    page = (await client.get("/v1/results", params={"status": "pending", "limit": 500}, headers=R)).json()
    return next(r["id"] for r in page["items"] if r["inspection_id"] == event.data["inspection_id"])


async def _publish_round(client, sessionmaker, rng: random.Random, secret: Secrets) -> tuple[list[str], list[str]]:
    """About twenty results with identifiers everywhere; returns (result ids, appeal codes)."""
    ids, codes = [], []
    for n in range(20):
        sector = SECTORS[n % len(SECTORS)]
        name = f"抚顺市{secret.text()}经营部" if rng.random() < 0.3 else None
        findings = [
            {"item_code": f"{sector}.item{i}", "result": "non_compliant", "note": secret.text()} for i in range(2)
        ]
        outcome = {"type": "penalty_fine", "rectification_deadline": None, "note": secret.text()}
        completed = completed_event(
            entity=entity(sector, **({"name": name} if name else {})), findings=findings, outcome=outcome
        )
        await deliver(sessionmaker, completed)
        if sector in ("fire_safety", "internet_cafe"):
            await deliver(sessionmaker, sanctioned_event(completed, note=secret.text()))
        if sector == "internet_cafe":
            persons = [{"name": "张三丰", "id_number": id_number(rng), "role": f"业主{secret.text()}"}]
            secret.values.append(persons[0]["id_number"])
            await deliver(sessionmaker, blacklisted_event(completed, persons=persons))
        rid = await _pending_id(client, completed)
        r = await client.post(f"/v1/results/{rid}/approve", json={"note": secret.text()}, headers=OF)
        assert r.status_code == 200, r.text
        ids.append(rid)
        codes.append(r.json()["appeal_code"])
        if sector == "fire_safety":
            await deliver(sessionmaker, sanctioned_event(completed, sanction="suspension", note=secret.text()))
    return ids, codes


async def _follow_up(client, ids: list[str], codes: list[str], secret: Secrets) -> list[str]:
    """Corrections, a withdrawal and appeals, each carrying identifiers; returns public answers."""
    answers = []
    for rid in ids[:4]:
        body = {"reason": secret.text(), "outcome": {"type": "penalty_warning", "note": secret.text()}}
        assert (await client.post(f"/v1/results/{rid}/corrections", json=body, headers=OF)).status_code == 201
    assert (
        await client.post(f"/v1/results/{ids[4]}/withdraw", json={"reason": secret.text()}, headers=OF)
    ).status_code == 201
    for index, (rid, code) in enumerate(zip(ids[5:9], codes[5:9], strict=True)):
        filed = await client.post(
            f"/public/v1/results/{rid}/appeals", json={"appeal_code": code, "statement": secret.text()}
        )
        assert filed.status_code == 201, filed.text
        answers.append(filed.text)
        decision = {"decision": "dismissed", "reason": secret.text()}
        if index % 2:
            decision = {
                "decision": "upheld",
                "reason": secret.text(),
                "correction": {"outcome": {"type": "no_issues", "note": secret.text()}},
            }
        assert (
            await client.post(f"/v1/appeals/{filed.json()['appeal_id']}/decide", json=decision, headers=OF)
        ).status_code == 200
    return answers


async def _read_everything(client, app, ids: list[str], secret: Secrets, visited: set[str]) -> list[str]:
    bodies = []

    async def get(template: str, url: str, **params) -> dict:  # type: ignore[no-untyped-def]
        r = await client.get(url, params=params or None)  # params={} would drop the URL's own query
        assert r.status_code in (200, 404), (url, r.status_code, r.text)
        visited.add(template)
        bodies.append(r.text)
        return r.json() if r.headers["content-type"].split(";")[0] == "application/json" else {}

    page = await get("/public/v1/feed", "/public/v1/feed", limit=7)
    while page["items"]:
        page = await get("/public/v1/feed", page["next"])
    await get("/public/v1/feed.atom", "/public/v1/feed.atom")
    for n in (1, 2, 3):
        await get("/public/v1/archive/{number}.atom", f"/public/v1/archive/{n}.atom")
    for rid in ids:
        await get("/public/v1/results/{result_id}", f"/public/v1/results/{rid}")
    search = await get("/public/v1/results", "/public/v1/results", limit=5)
    while search["next_cursor"]:
        search = await get("/public/v1/results", "/public/v1/results", limit=5, cursor=search["next_cursor"])
    await get("/public/v1/results", "/public/v1/results", entity_name=secret.text())
    await get("/public/v1/blacklist", "/public/v1/blacklist")
    await get("/public/v1/policy", "/public/v1/policy")
    for query in ({}, {"entity_name": secret.text()}, {"sector": "internet_cafe"}):
        await get("/public/results", "/public/results", **query)
    today = datetime.now(UTC).astimezone(exports.LOCAL_TZ).date()
    await get("/public/v1/exports/{day}.jsonl", f"/public/v1/exports/{today.isoformat()}.jsonl")
    return bodies


@pytest.mark.parametrize("seed", range(3))
async def test_no_id_number_or_phone_number_reaches_any_public_response(client, app, settings, sessionmaker, seed):
    rng, secret, visited = random.Random(1000 + seed), Secrets(random.Random(2000 + seed)), set()
    ids, codes = await _publish_round(client, sessionmaker, rng, secret)
    await sequencer.sequence(sessionmaker)
    answers = await _follow_up(client, ids, codes, secret)
    await sequencer.sequence(sessionmaker)
    await exports.write_due(sessionmaker, settings.export_dir, now=datetime.now(UTC) + timedelta(days=1))
    visited.add("/public/v1/results/{result_id}/appeals")  # the filing answers above
    bodies = answers + await _read_everything(client, app, ids, secret, visited)
    public = {path for path in app.openapi()["paths"] if path.startswith("/public")}
    assert visited == public, f"public routes not visited: {public - visited}"
    forms = secret.forms()
    assert len(secret.values) > 100
    for body in bodies:
        for form in forms:
            assert form not in body, form
        scrubbed = _TOKENS.sub("", body)
        for pattern in FORBIDDEN:
            assert not pattern.search(scrubbed), pattern.search(scrubbed)
