"""Checks of the bundled knowledge corpus and its data files.

Plain file parsing only (PyYAML + json): no project imports, no network.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from store.language import detect_lang

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "knowledge" / "corpus"
DATA = ROOT / "knowledge" / "domain" / "data"
EVAL = ROOT / "knowledge" / "eval" / "corpus_questions.json"

DOC_TYPES = {"guide", "vendor", "other"}
LANGS = {"zh", "en"}
ALLOWED_KEYS = {"title", "doc_type", "vendor", "lang", "source_url", "as_of", "scenario"}
SCENARIO_IDS = {
    "voice_room",
    "one_on_one_video",
    "show_streaming",
    "live_commerce",
    "education",
    "large_events",
}

FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.S)
MD_LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(([^)\s]*)(?:\s+\"[^\"]*\")?\)")
BARE_URL = re.compile(r"(?<![(<\[])\b(?:https?|ftp)://[^\s)>\]]+")
CODE_SPAN = re.compile(r"`[^`]*`")

# A figure with a unit: 300ms, 20 percent, 99%, 1080p, 10,000 minutes, 200 countries, 4K, 80% ...
FIGURE = re.compile(
    r"\d[\d,.]*\s*(?:"
    r"ms\b|milliseconds?\b|seconds?\b|minutes?\b|hours?\b|years?\b|"
    r"%|％|percent\b|kbps\b|mbps\b|gbps\b|khz\b|hz\b|fps\b|[kmg]b\b|"
    r"p\b|k\b|x\b|"
    r"countries\b|regions?\b|nodes?\b|edge\b|zones?\b|"
    r"participants?\b|speakers?\b|viewers?\b|hosts?\b|users?\b|attendees?\b|concurrent\b|"
    r"usd\b|\$|"
    r"毫秒|秒|分钟|小时|年|个|人|万|亿|国家|地区|节点"
    r")",
    re.I,
)
ATTRIBUTION = re.compile(
    r"states?\b|stated\b|says\b|said\b|according to|claims?\b|claimed\b|documentation|"
    r"\bdocs?\b|describes?\b|lists?\b|publishes\b|advertises\b|reports?\b|announces?\b|"
    r"warns?\b|filings?\b|registration statement|"
    r"称|表示|据|宣称|官网|文档|介绍|列出|写明|标明",
    re.I,
)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[\u3002\uff01\uff1f\uff1b])|\n+")


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.md"))


@cache
def parse(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    m = FRONT_MATTER.match(text)
    assert m, f"{path.name}: no YAML front matter delimited by --- lines"
    meta = yaml.safe_load(m.group(1))
    assert isinstance(meta, dict), f"{path.name}: front matter is not a mapping"
    return meta, m.group(2)


def stem(path: Path) -> str:
    """File name without the language suffix: scenario-voice-room.en.md -> scenario-voice-room."""
    return re.sub(r"\.(zh|en)\.md$", "", path.name)


def vendor_files() -> list[Path]:
    return [p for p in corpus_files() if parse(p)[0].get("doc_type") == "vendor"]


def is_iso_date(value: object) -> bool:
    if isinstance(value, dt.date):
        return True
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_https(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme == "https" and bool(parsed.netloc) and "." in parsed.netloc


def sentences(body: str) -> list[str]:
    out = []
    for line in body.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        line = re.sub(r"^[-*]\s+|^\d+\.\s+", "", line)
        line = MD_LINK.sub(lambda m: m.group(1), line)
        line = BARE_URL.sub("", line)
        out.extend(s.strip() for s in SENTENCE_END.split(line) if s and s.strip())
    return out


# --------------------------------------------------------------------------- corpus files


def test_corpus_has_enough_documents() -> None:
    files = corpus_files()
    assert len(files) >= 30
    langs = {parse(p)[0]["lang"] for p in files}
    assert langs == LANGS


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_front_matter_is_valid(path: Path) -> None:
    meta, body = parse(path)
    assert set(meta) <= ALLOWED_KEYS, f"unknown keys {set(meta) - ALLOWED_KEYS}"
    assert isinstance(meta.get("title"), str) and meta["title"].strip()
    assert meta.get("doc_type") in DOC_TYPES
    assert meta.get("lang") in LANGS
    assert path.name.endswith(f".{meta['lang']}.md"), "file suffix must match lang"
    if "as_of" in meta:
        assert is_iso_date(meta["as_of"])
    if "source_url" in meta:
        assert is_https(meta["source_url"])
    if "scenario" in meta:
        assert meta["scenario"] in SCENARIO_IDS
        assert meta["doc_type"] == "guide"
    if meta["doc_type"] != "vendor":
        assert "vendor" not in meta, "only vendor profiles name a vendor"
    assert body.lstrip().startswith("# "), "body starts with a level-1 heading"
    assert "\t" not in body


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_headings_are_well_formed(path: Path) -> None:
    _, body = parse(path)
    levels = [len(m.group(1)) for m in re.finditer(r"^(#+)\s+\S", body, re.M)]
    assert levels and levels[0] == 1
    assert levels.count(1) == 1, "exactly one title heading"
    assert max(levels) <= 3, "use #, ## and ### only"
    for prev, cur in itertools.pairwise(levels):
        assert cur <= prev + 1, "heading levels must not skip"


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_markdown_links_are_https(path: Path) -> None:
    _, body = parse(path)
    text = CODE_SPAN.sub("", body)
    for _, url in MD_LINK.findall(text):
        assert is_https(url), f"{path.name}: link {url!r} is not a well-formed https URL"
    stripped = MD_LINK.sub("", text)
    for url in BARE_URL.findall(stripped):
        assert is_https(url), f"{path.name}: bare URL {url!r} is not https"


def test_both_languages_for_every_guide_topic() -> None:
    by_stem: dict[str, set[str]] = {}
    for p in corpus_files():
        meta, _ = parse(p)
        if meta["doc_type"] != "vendor":
            by_stem.setdefault(stem(p), set()).add(meta["lang"])
    missing = {s: LANGS - langs for s, langs in by_stem.items() if langs != LANGS}
    assert not missing, f"guide topics missing a language: {missing}"


def test_paired_documents_agree_on_metadata() -> None:
    pairs: dict[str, list[dict]] = {}
    for p in corpus_files():
        pairs.setdefault(stem(p), []).append(parse(p)[0])
    for s, metas in pairs.items():
        for key in ("doc_type", "scenario", "vendor"):
            assert len({m.get(key) for m in metas}) == 1, f"{s}: {key} differs between languages"


# --------------------------------------------------------------------------- vendor profiles


@pytest.mark.parametrize("path", vendor_files(), ids=lambda p: p.name)
def test_vendor_profile_metadata(path: Path) -> None:
    meta, body = parse(path)
    assert isinstance(meta.get("vendor"), str) and meta["vendor"].strip()
    assert isinstance(meta.get("source_url"), str) and is_https(meta["source_url"])
    assert is_iso_date(meta.get("as_of"))
    headings = re.findall(r"^##\s+(.+)$", body, re.M)
    assert any(h.startswith(("Questions to ask", "向")) for h in headings), (
        "a vendor profile ends with 'Questions to ask <vendor>'"
    )


@pytest.mark.parametrize("path", vendor_files(), ids=lambda p: p.name)
def test_vendor_figures_are_attributed(path: Path) -> None:
    """No vendor document states a figure without attribution in the same sentence."""
    _, body = parse(path)
    bad = [s for s in sentences(body) if FIGURE.search(s) and not ATTRIBUTION.search(s)]
    assert not bad, f"{path.name}: figures without attribution:\n" + "\n".join(bad)


def test_attribution_check_catches_unattributed_figures() -> None:
    body = "# T\n\n- The network has 200 countries of coverage.\n- Agora states 300ms.\n"
    flagged = [s for s in sentences(body) if FIGURE.search(s) and not ATTRIBUTION.search(s)]
    assert flagged == ["The network has 200 countries of coverage."]
    zh = "# 标题\n\n- 延迟低于 400 毫秒。据官网称抗丢包 80%。\n"
    flagged = [s for s in sentences(zh) if FIGURE.search(s) and not ATTRIBUTION.search(s)]
    assert flagged == ["延迟低于 400 毫秒。"]


def test_at_least_two_chinese_vendor_profiles() -> None:
    zh = {parse(p)[0]["vendor"] for p in vendor_files() if parse(p)[0]["lang"] == "zh"}
    assert len(zh) >= 2


# --------------------------------------------------------------------------- data files


@cache
def load_yaml(name: str) -> dict:
    data = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_vendors_yaml_matches_profiles() -> None:
    vendors = load_yaml("vendors.yaml")["vendors"]
    names = [v["name"] for v in vendors]
    assert len(names) == len(set(names)), "duplicate vendor names"
    profiled = {parse(p)[0]["vendor"] for p in vendor_files()}
    assert set(names) == profiled, f"without profile: {set(names) - profiled}; " + (
        f"profile not in vendors.yaml: {profiled - set(names)}"
    )
    seen: dict[str, str] = {}
    for v in vendors:
        assert set(v) == {"name", "aliases"}
        assert isinstance(v["aliases"], list) and v["aliases"]
        for alias in v["aliases"]:
            assert isinstance(alias, str) and alias.strip() and alias == alias.lower()
            assert seen.setdefault(alias, v["name"]) == v["name"], f"alias {alias!r} reused"


def test_scenarios_yaml_is_covered_in_both_languages() -> None:
    scenarios = load_yaml("scenarios.yaml")["scenarios"]
    ids = [s["id"] for s in scenarios]
    assert set(ids) == SCENARIO_IDS and len(ids) == len(SCENARIO_IDS)
    for s in scenarios:
        assert set(s) == {
            "id",
            "name_en",
            "name_zh",
            "aliases",
            "description_en",
            "description_zh",
            "questions",
            "poc_tests",
        }
        assert all(isinstance(a, str) and a.strip() for a in s["aliases"])
        # What scenario matching by meaning compares a topic with, in both languages.
        assert detect_lang(s["description_en"]) == "en" and detect_lang(s["description_zh"]) == "zh"
        # The briefing's own questions and PoC tests, in each language.
        for key in ("questions", "poc_tests"):
            assert set(s[key]) == LANGS, (s["id"], key)
            for lang in LANGS:
                assert s[key][lang] and all(detect_lang(item) == lang for item in s[key][lang])
    covered: dict[str, set[str]] = {}
    for p in corpus_files():
        meta, _ = parse(p)
        if "scenario" in meta:
            covered.setdefault(meta["scenario"], set()).add(meta["lang"])
    for sid in ids:
        assert covered.get(sid) == LANGS, f"scenario {sid} not covered in both languages"


def test_glossary_format() -> None:
    text = (DATA / "glossary.yaml").read_text(encoding="utf-8")
    assert text.startswith("#"), "glossary starts with its header comment"
    terms = yaml.safe_load(text)["terms"]
    assert len(terms) >= 60
    for entry in terms:
        assert set(entry) == {"zh", "en"}, entry
        for lang in ("zh", "en"):
            forms = entry[lang]
            assert isinstance(forms, list) and forms, entry
            assert all(isinstance(f, str) and f.strip() for f in forms), entry
            assert len(forms) == len(set(forms)), entry
    zh_forms = {f for e in terms for f in e["zh"]}
    for required in (
        "语聊房",
        "回声消除",
        "首帧",
        "弱网",
        "秀场直播",
        "连麦",
        "PK",
        "卡顿率",
        "端到端延迟",
        "丢包",
        "抖动",
        "降噪",
        "自动增益",
        "码率",
        "分辨率",
        "帧率",
        "编解码",
        "旁路推流",
        "CDN",
        "低延时直播",
        "并发",
        "出海",
        "数据合规",
        "私有化部署",
        "合流",
        "录制",
        "美颜",
        "内容审核",
        "接通率",
        "加入频道耗时",
        "SLA",
        "7×24",
        "上市公司",
        "节点覆盖",
        "SDK",
        "信令",
        "互动课堂",
        "带货",
    ):
        assert required in zh_forms, f"glossary lacks {required}"


# --------------------------------------------------------------------------- evaluation set


@cache
def questions() -> list[dict]:
    data = json.loads(EVAL.read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


def test_eval_questions_format() -> None:
    qs = questions()
    assert len(qs) >= 35
    ids = [q["id"] for q in qs]
    assert len(ids) == len(set(ids))
    for q in qs:
        assert set(q) == {"id", "question", "answerable", "expect_sources", "expect_any"}, q
        assert isinstance(q["question"], str) and q["question"].strip()
        assert isinstance(q["answerable"], bool)
        assert isinstance(q["expect_sources"], list) and isinstance(q["expect_any"], list)
        if q["answerable"]:
            assert q["expect_sources"] and q["expect_any"], q["id"]
        else:
            assert q["expect_sources"] == [] and q["expect_any"] == [], q["id"]
    chinese = [q for q in qs if re.search(r"[\u4e00-\u9fff]", q["question"])]
    assert len(chinese) >= 12
    assert sum(not q["answerable"] for q in qs) >= 8


def test_eval_expectations_exist_in_corpus() -> None:
    stems = {stem(p) for p in corpus_files()}
    for q in questions():
        for src in q["expect_sources"]:
            matches = [p for p in corpus_files() if src in p.name]
            assert matches, f"{q['id']}: no corpus file matches {src!r}"
            assert any(src in s for s in stems)
            # Every matching file (either language) holds at least one expected term.
            for p in matches:
                text = p.read_text(encoding="utf-8").lower()
                assert any(t.lower() in text for t in q["expect_any"]), (
                    f"{q['id']}: none of {q['expect_any']} in {p.name}"
                )
