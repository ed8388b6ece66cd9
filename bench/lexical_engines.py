"""Brief comparison of SQLite FTS5 and Tantivy as the lexical engine (docs/benchmarks.md).

Run from the repository: `python bench/lexical_engines.py [N]` (needs `tantivy`); builds N
synthetic chunks (default 100,000) from corpus sentences in /tmp and prints JSON.
"""

import json
import math
import random
import shutil
import sqlite3
import sys
import time
from pathlib import Path

import tantivy

from knowledge.retrieval.lexical import BM25Index
from knowledge.retrieval.text import tokenize
from store.sentences import split_sentences

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
corpus = Path("knowledge/corpus")
found = set()
for p in sorted(corpus.glob("*.md")):
    for line in p.read_text("utf-8").splitlines():
        if line and not line.startswith(("---", "#")):
            found.update(s for s in split_sentences(line) if len(s) > 20)
sentences = sorted(found)
toks = [tokenize(s) for s in sentences]
rng = random.Random(7)
docs = []
for _ in range(N):
    picks = rng.sample(range(len(sentences)), 4)
    docs.append([t for p in picks for t in toks[p]])
queries = [
    "What matters for a voice room?",
    "1v1 视频社交选型看什么?",
    "How do I test a vendor under packet loss?",
    "秀场直播连麦 PK 的延迟要求是多少?",
    "What should an SLA cover?",
    "直播带货用什么架构?",
    "How do I check a vendor's global node coverage?",
    "在线教育互动课堂要注意哪些指标?",
]
qterms = [list(dict.fromkeys(tokenize(q))) for q in queries]
out = {"chunks": N, "sentences": len(sentences)}
base = Path("/tmp/scale-engines/work")
shutil.rmtree(base, ignore_errors=True)
base.mkdir(parents=True)

# FTS5
db = sqlite3.connect(base / "fts.sqlite")
db.execute("PRAGMA journal_mode=WAL")
db.execute("CREATE TABLE chunks(rowid INTEGER PRIMARY KEY, id TEXT UNIQUE, terms TEXT)")
db.execute(
    "CREATE VIRTUAL TABLE fts USING fts5(terms, content='chunks', content_rowid='rowid', "
    "tokenize=\"unicode61 remove_diacritics 0 tokenchars '.-+%'\")"
)
t = time.perf_counter()
with db:
    for i, d in enumerate(docs):
        s = " ".join(d)
        db.execute("INSERT INTO chunks(rowid, id, terms) VALUES (?,?,?)", (i + 1, f"c{i}", s))
        db.execute("INSERT INTO fts(rowid, terms) VALUES (?,?)", (i + 1, s))
out["fts5_build_s"] = round(time.perf_counter() - t, 1)
db.execute("INSERT INTO fts(fts) VALUES('optimize')")
db.commit()
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
out["fts5_disk_mb"] = round(sum(f.stat().st_size for f in base.glob("fts.sqlite*")) / 2**20, 1)


def fts_query(terms):
    scores = {}
    n_all = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
    for term in terms:
        rows = db.execute(
            "SELECT rowid, bm25(fts) FROM fts WHERE fts MATCH ?", (f'"{term}"',)
        ).fetchall()
        n = len(rows)
        if not n:
            continue
        idf_fts = max(math.log((n_all - n + 0.5) / (n + 0.5)), 1e-6)
        idf = math.log(1 + (n_all - n + 0.5) / (n + 0.5))
        for rowid, s in rows:
            scores[rowid] = scores.get(rowid, 0.0) + idf * (-s / idf_fts)
    return sorted(scores.items(), key=lambda kv: -kv[1])[:40]


def timeit(fn):
    fn(qterms[0])
    samples = []
    for _ in range(3):
        for q in qterms:
            t = time.perf_counter()
            fn(q)
            samples.append(time.perf_counter() - t)
    samples.sort()
    return {
        "p50_ms": round(samples[len(samples) // 2] * 1000, 1),
        "p95_ms": round(samples[int(len(samples) * 0.95)] * 1000, 1),
    }


out["fts5_query"] = timeit(fts_query)
fts_top = [fts_query(q) for q in qterms]

# exact reference
t = time.perf_counter()
ref = BM25Index([], tokens=docs)
out["numpy_in_memory_build_s"] = round(time.perf_counter() - t, 1)
ref_top = [ref.search(q, 40) for q in qterms]
agree = [
    len({d + 1 for d, _ in r} & {d for d, _ in f}) / max(len(r), 1)
    for r, f in zip(ref_top, fts_top, strict=True)
]
out["fts5_top40_overlap_with_numpy_bm25"] = round(sum(agree) / len(agree), 3)
out["numpy_query"] = timeit(lambda q: ref.search(q, 40))

# tantivy
sb = tantivy.SchemaBuilder()
sb.add_integer_field("rowid", stored=True, indexed=True, fast=True)
sb.add_text_field("terms", stored=False, tokenizer_name="whitespace")
schema = sb.build()
(base / "tantivy").mkdir()
index = tantivy.Index(schema, path=str(base / "tantivy"))
writer = index.writer(heap_size=100_000_000, num_threads=1)
t = time.perf_counter()
for i, d in enumerate(docs):
    writer.add_document(tantivy.Document(rowid=i + 1, terms=" ".join(d)))
writer.commit()
writer.wait_merging_threads()
out["tantivy_build_s"] = round(time.perf_counter() - t, 1)
index.reload()
out["tantivy_disk_mb"] = round(
    sum(f.stat().st_size for f in (base / "tantivy").iterdir()) / 2**20, 1
)
searcher = index.searcher()


def tv_query(terms):
    subs = [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "terms", t)) for t in terms]
    q = tantivy.Query.boolean_query(subs)
    res = searcher.search(q, 40).hits
    return [(searcher.doc(addr)["rowid"][0], s) for s, addr in res]


out["tantivy_query"] = timeit(tv_query)
tv_top = [tv_query(q) for q in qterms]
agree = [
    len({d + 1 for d, _ in r} & {d for d, _ in f}) / max(len(r), 1)
    for r, f in zip(ref_top, tv_top, strict=True)
]
out["tantivy_top40_overlap_with_numpy_bm25"] = round(sum(agree) / len(agree), 3)
print(json.dumps(out, indent=2))
