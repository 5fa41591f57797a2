"""The feed as Atom (RFC 4287) with archived feeds (RFC 5005 §4): pure functions, no I/O.

Feed positions are cut into archives of `size` entries: archive n holds positions
(n-1)·size+1 … n·size and exists once it is full, so it never gains an entry; the subscription
document (feed.atom) holds the positions after the last full archive and links to it with
`prev-archive`. Each archive links `current`, and `prev-archive` / `next-archive` to its
neighbours, so a reader walks the whole history and sees each release once. Releases of a
withdrawn result are tombstones (RFC 6721 `at:deleted-entry`)."""

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

ATOM = "http://www.w3.org/2005/Atom"
HISTORY = "http://purl.org/syndication/history/1.0"
TOMBSTONES = "http://purl.org/atompub/tombstones/1.0"
ET.register_namespace("", ATOM)
ET.register_namespace("fh", HISTORY)
ET.register_namespace("at", TOMBSTONES)
FEED_ID = "urn:ssj:disclosure:feed"
AUTHOR = "抚顺市公安局"
TITLE = "抚顺市公安局 双随机抽查结果公开"
# Characters XML 1.0 cannot carry at all; a stray one in a note would make the document unparsable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
EPOCH = "2026-01-01T00:00:00+00:00"


def archive_count(top: int, size: int) -> int:
    """How many full (hence immutable) archives the feed has."""
    return top // size


def archive_range(number: int, size: int) -> tuple[int, int]:
    """The positions (after, last] of archive `number`."""
    return (number - 1) * size, number * size


def entry_id(item: dict[str, Any]) -> str:
    return f"urn:ssj:disclosure:result:{item['result_id']}:release:{item['release']}"


def _el(parent: ET.Element, tag: str, text: str | None = None, ns: str = ATOM, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, f"{{{ns}}}{tag}", {k: _NOT_XML.sub("", v) for k, v in attrs.items()})
    if text is not None:
        node.text = _NOT_XML.sub("", text)
    return node


def _summary(item: dict[str, Any]) -> str:
    parts = [f"检查完成：{item['completed_at'][:10]}", f"结论：{item['outcome_zh']}"]
    if item.get("rectification_deadline"):
        parts.append(f"整改期限：{item['rectification_deadline']}")
    if item.get("outcome_note"):
        parts.append(f"说明：{item['outcome_note']}")
    parts += [f"处罚：{p['sanction_zh']}{p['note'] and '，' + p['note']}" for p in item.get("penalties") or []]
    parts += [f"被检查单位申诉说明：{s['statement']}" for s in item.get("statements") or []]
    if item.get("reason"):
        parts.append(f"{item['kind_zh']}说明：{item['reason']}")
    return "；".join(parts)


def _entry(feed: ET.Element, item: dict[str, Any], base: str) -> None:
    if item["withdrawn"]:
        gone = _el(feed, "deleted-entry", ns=TOMBSTONES, ref=entry_id(item), when=item["published_at"])
        _el(
            gone,
            "comment",
            f"第{item['release']}版已撤回" + (f"：{item['reason']}" if item.get("reason") else ""),
            ns=TOMBSTONES,
        )
        return
    entry = _el(feed, "entry")
    _el(entry, "id", entry_id(item))
    _el(entry, "title", f"{item['entity']['name']} · {item['outcome_zh']}（{item['kind_zh']}，第{item['release']}版）")
    _el(entry, "updated", item["published_at"])
    _el(entry, "published", item["published_at"])
    _el(entry, "link", rel="alternate", type="application/json", href=f"{base}/public/v1/results/{item['result_id']}")
    _el(entry, "category", term=item["entity"]["sector"], label=item["sector_name_zh"])
    _el(entry, "category", term=item["kind"], scheme="urn:ssj:disclosure:release-kind", label=item["kind_zh"])
    _el(entry, "summary", _summary(item), type="text")


def document(
    items: list[dict[str, Any]],
    *,
    base: str,
    self_path: str,
    archive: int | None,
    archives: int,
    updated: str | None,
) -> bytes:
    """The subscription document (archive None) or archive `archive` of `archives` full ones."""
    feed = ET.Element(f"{{{ATOM}}}feed")
    _el(feed, "id", FEED_ID if archive is None else f"{FEED_ID}:archive:{archive}")
    _el(feed, "title", TITLE if archive is None else f"{TITLE}（归档第{archive}页）")
    _el(feed, "updated", updated or EPOCH)
    _el(_el(feed, "author"), "name", AUTHOR)
    _el(feed, "link", rel="self", href=base + self_path)
    _el(feed, "link", rel="current", href=f"{base}/public/v1/feed.atom")
    if archive is None:
        if archives:
            _el(feed, "link", rel="prev-archive", href=f"{base}/public/v1/archive/{archives}.atom")
    else:
        _el(feed, "archive", ns=HISTORY)
        if archive > 1:
            _el(feed, "link", rel="prev-archive", href=f"{base}/public/v1/archive/{archive - 1}.atom")
        if archive < archives:
            _el(feed, "link", rel="next-archive", href=f"{base}/public/v1/archive/{archive + 1}.atom")
    for item in items:
        _entry(feed, item, base)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def latest(items: list[dict[str, Any]]) -> str | None:
    return max((i["published_at"] for i in items), key=datetime.fromisoformat, default=None)
