"""The disclosure site's results page (抽查结果公示), rendered on the server in Chinese.

Plain string templates: every value that did not come from this file passes through `_e`
(html.escape with quotes), and the page is served with a Content-Security-Policy that allows no
script at all, so an entity name like `<script>` is text on the page and nothing more."""

from html import escape
from typing import Any
from urllib.parse import urlencode

from disclosure.documents import OUTCOMES_ZH
from disclosure.policy import POLICIES
from disclosure.redaction import redact_text

CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
FILTERS = ("entity_name", "credit_code", "sector", "period", "outcome")
_STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0 auto;max-width:72rem;padding:1rem;color:#222}
h1{font-size:1.4rem;border-bottom:3px solid #b22;padding-bottom:.4rem}
form{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end;margin:1rem 0}
label{display:flex;flex-direction:column;font-size:.85rem}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.35rem .5rem;text-align:left}
th{background:#f3f3f3}.error{color:#b22}.badge{color:#b22;font-size:.8rem}
"""


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _options(name: str, chosen: str | None, choices: dict[str, str]) -> str:
    rows = ['<option value="">全部</option>']
    for value, label in choices.items():
        selected = " selected" if value == chosen else ""
        rows.append(f'<option value="{_e(value)}"{selected}>{_e(label)}</option>')
    return f'<select name="{name}" id="{name}">' + "".join(rows) + "</select>"


def _form(filters: dict[str, str | None]) -> str:
    # An echoed query is redacted too: a number typed into the form is not shown back.
    shown = {k: redact_text(filters.get(k) or "") for k in FILTERS}
    sectors = {sector: policy.name_zh for sector, policy in POLICIES.items()}
    return (
        '<form method="get" action="/public/results" role="search">'
        f'<label>被检查单位名称<input name="entity_name" id="entity_name" value="{_e(shown["entity_name"])}"></label>'
        f'<label>统一社会信用代码<input name="credit_code" id="credit_code" value="{_e(shown["credit_code"])}"></label>'
        f"<label>行业{_options('sector', filters.get('sector'), sectors)}</label>"
        f'<label>期间<input name="period" id="period" placeholder="2026-Q4" value="{_e(shown["period"])}"></label>'
        f"<label>检查结论{_options('outcome', filters.get('outcome'), OUTCOMES_ZH)}</label>"
        '<button type="submit">查询</button></form>'
    )


def _row(item: dict[str, Any]) -> str:
    entity = item["entity"]
    corrected = '<span class="badge">（已更正）</span>' if item["latest_release"] > 1 else ""
    return (
        f'<tr data-result-id="{_e(item["result_id"])}">'
        f'<td class="entity">{_e(entity["name"])}</td><td class="credit-code">{_e(entity["credit_code"])}</td>'
        f"<td>{_e(item['sector_name_zh'])}</td><td>{_e(str(item['completed_at'])[:10])}</td>"
        f'<td class="outcome">{_e(item["outcome_zh"])}{corrected}</td>'
        f'<td><a href="{_e(item["url"])}">第{_e(item["latest_release"])}版</a></td></tr>'
    )


def results_page(
    items: list[dict[str, Any]], *, filters: dict[str, str | None], next_cursor: str | None, error: str | None
) -> str:
    """The whole page; `error` (a bad filter) is shown above an empty table."""
    rows = "".join(_row(item) for item in items)
    empty = '<tr><td colspan="6">没有符合条件的抽查结果。</td></tr>' if not items else ""
    more = ""
    if next_cursor:
        query = {k: redact_text(v) for k, v in filters.items() if v} | {"cursor": next_cursor}
        more = f'<nav><a rel="next" id="next" href="/public/results?{_e(urlencode(query))}">下一页</a></nav>'
    problem = f'<p class="error" role="alert">{_e(error)}</p>' if error else ""
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>双随机抽查结果公示 - 抚顺市公安局</title><style>{_STYLE}</style></head><body>"
        "<header><h1>抚顺市公安局“双随机、一公开”抽查结果公示</h1></header><main>"
        f"{_form(filters)}{problem}"
        f'<p id="count">本页显示 {len(items)} 条抽查结果</p>'
        '<table id="results"><thead><tr><th>被检查单位</th><th>统一社会信用代码</th><th>行业</th>'
        "<th>检查完成日期</th><th>检查结论</th><th>公开版本</th></tr></thead>"
        f"<tbody>{rows}{empty}</tbody></table>{more}</main>"
        "<footer><p>依据《抚顺市公安局关于推广随机抽查规范事中事后监管的实施细则》公开。"
        '订阅：<a href="/public/v1/feed">JSON</a> · <a href="/public/v1/feed.atom">Atom</a>。'
        "对抽查结果有异议的被检查单位，可凭告知书上的申诉码提出申诉。</p></footer></body></html>"
    )
