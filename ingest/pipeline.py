"""Ingest as a sync: files in, the store and its manifest brought exactly in step with them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from config.settings import Settings
from ingest.chunking import TEXT_FORMAT, chunk_document
from ingest.errors import IngestError
from ingest.loaders import load_document, read_file
from ingest.lock import store_lock
from ingest.manifest import Manifest, ManifestEntry
from ingest.targets import Target, collect_targets
from ingest.vendor_detect import with_vendor
from store.client import StoreHandle, locate_store, open_store
from store.lexical_index import LexicalIndex, open_lexical_index
from store.lexical_sync import catch_up
from store.schema import Chunk, content_hash
from store.sentences import (
    SENTENCE_VERSION,
    SentenceRecord,
    drop_legacy_collection,
    sentence_records,
)

# Chunks embedded per model call (with their sentences): large calls let the model sort by length
# and pad less, which is most of the pipeline's speed; a thousand 200-token chunks and their few
# thousand sentences stay well under 100 MB.
EMBED_CHUNKS_PER_CALL = 1024
WRITE_BATCH = 1000
# Chunks are sized so a question's answer sentence and its context fit e5's attention comfortably.
CHUNK_TOKENS = 200
CHUNK_OVERLAP = 30


class EmbedderLike(Protocol):
    """What the pipeline needs of the embedding model."""

    # Recorded with every document; a document embedded by another model is re-embedded.
    identity: str

    def embed_passages(self, texts: list[str]) -> Any: ...

    def count_tokens(self, text: str) -> int: ...


@dataclass
class IngestReport:
    """The outcome of one run, in the shape of `python -m ingest --json`."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The DESIGN.md summary object."""
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "chunks": self.chunks,
            "failed": list(self.failed),
        }

    @property
    def ok(self) -> bool:
        """True when no file was rejected."""
        return not self.failed


@dataclass
class _Work:
    target: Target
    digest: str
    chunks: list[Chunk]
    is_new: bool


class Progress(Protocol):
    """Progress reporting (a bar on a terminal, nothing otherwise)."""

    def files(self, total: int) -> None: ...

    def advance(self, files: int = 0, chunks: int = 0) -> None: ...

    def close(self) -> None: ...


class NoProgress:
    """Reports nothing."""

    def files(self, total: int) -> None:
        """Ignore."""

    def advance(self, files: int = 0, chunks: int = 0) -> None:
        """Ignore."""

    def close(self) -> None:
        """Ignore."""


def manifest_path(settings: Settings) -> Path:
    """Where the manifest lives (DATA_DIR)."""
    return settings.data_dir / "ingest-manifest.sqlite3"


def lock_path(settings: Settings, store_dir: Path | None) -> Path:
    """The lock file of one store."""
    key = hashlib.sha256(locate_store(settings, store_dir).key.encode()).hexdigest()[:16]
    return settings.data_dir / "locks" / f"ingest-{key}.lock"


class Ingestor:
    """Brings one store in step with files; build it once, call `sync` as often as needed."""

    def __init__(
        self,
        settings: Settings,
        embedder: EmbedderLike,
        *,
        store_dir: Path | None = None,
        progress: Progress | None = None,
        lock_wait_seconds: float = 300.0,
        on_lock_wait: Callable[[], None] | None = None,
        vendor: str = "",
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store_dir = store_dir
        self.progress = progress or NoProgress()
        self.lock_wait_seconds = lock_wait_seconds
        self.on_lock_wait = on_lock_wait
        # `--vendor NAME`: these documents are NAME's, whatever their front matter says.
        self.vendor = " ".join(vendor.split())

    def digest(self, data: bytes) -> str:
        """A file's version: its content, and the vendor it is ingested as when one is given
        (the same file marked as another vendor's is a new version)."""
        if not self.vendor:
            return content_hash(data)
        return content_hash(data + b"\x00vendor:" + self.vendor.encode("utf-8"))

    def sync(self, paths: Sequence[Path]) -> IngestReport:
        """Ingest files and directories; directories are synced (their deleted files removed)."""
        targets, synced_dirs, failed = collect_targets(paths)
        report = IngestReport(failed=failed)
        with store_lock(
            lock_path(self.settings, self.store_dir),
            wait_seconds=self.lock_wait_seconds,
            on_wait=self.on_lock_wait,
        ):
            store = open_store(self.settings, self.store_dir)
            lexical = open_lexical_index(self.settings, self.store_dir)
            manifest = Manifest(
                manifest_path(self.settings), locate_store(self.settings, self.store_dir).key
            )
            try:
                _Run(self, store, lexical, manifest, report).execute(targets, synced_dirs)
                # Documents published by other runs (or before the index existed) join it too.
                catch_up(store, lexical)
            finally:
                manifest.close()
                lexical.close()
                self.progress.close()
        return report


class _Run:
    """One sync under the store's lock."""

    def __init__(
        self,
        ingestor: Ingestor,
        store: StoreHandle,
        lexical: LexicalIndex,
        manifest: Manifest,
        report: IngestReport,
    ) -> None:
        self.ingestor = ingestor
        self.embedder = ingestor.embedder
        self.progress = ingestor.progress
        self.store = store
        self.lexical = lexical
        self.manifest = manifest
        self.report = report
        self.embedded_by: dict[str, str] = {}

    def execute(self, targets: list[Target], synced_dirs: list[str]) -> None:
        """Recover, remove what vanished, then add and replace what is new or changed."""
        self._recover()
        self._forget_if_store_lost()
        if self.store.client is not None:
            drop_legacy_collection(self.store.client, self.ingestor.settings.chroma_collection)
        self.embedded_by = self._embedded_by()
        entries = self.manifest.entries()
        present = {target.source for target in targets}
        vanished = [
            source
            for source in entries
            if source not in present and any(_under(source, prefix) for prefix in synced_dirs)
        ]
        for source in vanished:
            self._remove(entries, source)
            self.report.removed += 1
        if vanished:
            entries = self.manifest.entries()

        self.progress.files(len(targets))
        digests = self._digests(targets)
        owners = _choose_owners(targets, digests, entries)
        work: list[_Work] = []
        for target in targets:
            item = self._prepare(target, digests[target.source], entries.get(target.source), owners)
            if item is None:
                self.progress.advance(files=1)
            else:
                work.append(item)
        self._embed_and_write(work)

    def _embedded_by(self) -> dict[str, str]:
        """Each live source's model identity; a source whose sentences are missing or of another
        SENTENCE_VERSION, or whose chunks an older TEXT_FORMAT cut, counts as embedded by no
        model, so it is read and embedded again (a better loader reaches stored documents)."""
        return {
            source: record.embedder
            for source, record in self.store.registry.records().items()
            if record.sentences == SENTENCE_VERSION and record.text_format == TEXT_FORMAT
        }

    def _digests(self, targets: list[Target]) -> dict[str, str | IngestError]:
        """Hash every file first, so identical files can be told apart before any write."""
        digests: dict[str, str | IngestError] = {}
        for target in targets:
            try:
                digests[target.source] = self.ingestor.digest(read_file(target.path))
            except IngestError as error:
                digests[target.source] = error
        return digests

    def _prepare(
        self,
        target: Target,
        digest: str | IngestError,
        entry: ManifestEntry | None,
        owners: dict[str, str],
    ) -> _Work | None:
        source = target.source
        try:
            if isinstance(digest, IngestError):
                raise digest
            owner = owners[digest]
            same_owner = (entry is not None) and (
                (entry.alias_of is None and owner == source) or entry.alias_of == owner
            )
            unchanged = (
                entry is not None
                and entry.content_hash == digest
                and same_owner
                # What another model embedded is embedded again, even unchanged.
                and (
                    entry.alias_of is not None
                    or self.embedded_by.get(source) == self.embedder.identity
                )
            )
            if unchanged:
                self.report.unchanged += 1
                return None
            if owner != source:
                if entry is not None and entry.alias_of is None and entry.chunk_ids:
                    # It had content of its own before; now it mirrors `owner`.
                    self.store.registry.withdraw(source)
                    self.lexical.withdraw([source])
                    _delete(self.store, list(entry.chunk_ids))
                self.manifest.record_alias(source, digest, owner)
                self._count_written(entry)
                return None
            data = read_file(target.path)
            if self.ingestor.digest(data) != digest:
                raise IngestError("the file changed while it was being ingested; run again")
            document = load_document(target.path, data)
            chunks = self._chunks(target, document, digest)
            if not chunks:
                raise IngestError("no text to index")
        except IngestError as error:
            self.report.failed.append({"path": source, "error": str(error)})
            return None
        return _Work(target, digest, chunks, is_new=entry is None)

    def _count_written(self, entry: ManifestEntry | None) -> None:
        if entry is None:
            self.report.added += 1
        else:
            self.report.updated += 1

    def _chunks(self, target: Target, document: Any, digest: str) -> list[Chunk]:
        meta = with_vendor(document, self.ingestor.vendor)
        drafts = chunk_document(
            document,
            self.embedder.count_tokens,
            max_tokens=CHUNK_TOKENS,
            overlap_tokens=CHUNK_OVERLAP,
        )
        title = meta.title or target.path.stem
        return [
            Chunk(
                text=draft.text,
                source=target.source,
                chunk_index=index,
                title=title,
                section=draft.section,
                doc_type=meta.doc_type or "other",
                vendor=meta.vendor,
                aliases=meta.aliases,
                lang=meta.lang or draft.lang,
                as_of=meta.as_of,
                source_url=meta.source_url,
                content_hash=digest,
            )
            for index, draft in enumerate(drafts)
        ]

    def _embed_and_write(self, work: list[_Work]) -> None:
        # Embed across files in full batches (the model bounds a run's speed), but switch each
        # document from its old to its new chunks on its own.
        batch: list[_Work] = []
        size = 0
        for item in work:
            batch.append(item)
            size += len(item.chunks)
            if size >= EMBED_CHUNKS_PER_CALL:
                self._flush(batch)
                batch, size = [], 0
        if batch:
            self._flush(batch)

    def _flush(self, items: list[_Work]) -> None:
        texts = [chunk.text for item in items for chunk in item.chunks]
        sentences = sentence_records(chunk for item in items for chunk in item.chunks)
        # One model call for chunks and sentences (the model sorts them by length together); a
        # sentence repeated by the chunks' overlap is embedded once.
        unique = list(dict.fromkeys(record.embed_text for record in sentences))
        vectors = np.asarray(self.embedder.embed_passages(texts + unique), dtype=np.float32)
        row = {text: len(texts) + n for n, text in enumerate(unique)}
        sentence_vectors = vectors[[row[record.embed_text] for record in sentences]]
        entries = self.manifest.entries()
        self._replace(items, vectors[: len(texts)], entries, (sentences, sentence_vectors))
        for item in items:
            self.report.chunks += len(item.chunks)
            self._count_written(None if item.is_new else entries.get(item.target.source))
            self.progress.advance(files=1, chunks=len(item.chunks))

    def _replace(
        self,
        items: list[_Work],
        vectors: Any,
        entries: dict[str, ManifestEntry],
        sentences: tuple[list[SentenceRecord], Any],
    ) -> None:
        """Journal, write every new chunk to the vectors, the lexical index and the sentence
        vectors (invisible to readers until its document is published), switch the documents'
        live versions, then drop their old chunks. Readers filter all three by the registry, so
        a kill at any point leaves each document wholly old or wholly new in each."""
        chunks = [chunk for item in items for chunk in item.chunks]
        self.manifest.begin_replace(
            [(item.target.source, item.digest, [c.id for c in item.chunks]) for item in items]
        )
        for start in range(0, len(chunks), WRITE_BATCH):
            batch = chunks[start : start + WRITE_BATCH]
            self.store.chunks.upsert(
                ids=[chunk.id for chunk in batch],
                documents=[chunk.text for chunk in batch],
                metadatas=[chunk.metadata() for chunk in batch],
                embeddings=vectors[start : start + WRITE_BATCH],
            )
        self.lexical.upsert(chunks)
        self.store.sentences.write(*sentences)
        versions = [(item.target.source, item.digest) for item in items]
        self.store.registry.publish_many(
            versions, self.embedder.identity, sentences=SENTENCE_VERSION, text_format=TEXT_FORMAT
        )
        new_ids = {chunk.id for chunk in chunks}
        known = [
            chunk_id
            for item in items
            if (old := entries.get(item.target.source)) is not None
            for chunk_id in old.chunk_ids
        ]
        sources = [item.target.source for item in items]
        stale = [
            chunk_id
            for chunk_id in dict.fromkeys(known + _stored_ids(self.store, sources))
            if chunk_id not in new_ids
        ]
        counts = {item.target.source: len(item.chunks) for item in items}
        self.lexical.publish(versions, stale, counts)
        _delete(self.store, stale)
        self.manifest.commit_replace([item.target.source for item in items])

    def _remove(self, entries: dict[str, ManifestEntry], source: str) -> None:
        entry = entries[source]
        # Files that mirrored this one lose their stand-in: they ingest on their own next.
        for other, other_entry in entries.items():
            if other_entry.alias_of == source:
                self.manifest.remove(other)
        if entry.alias_of is None:
            self.store.registry.withdraw(source)
            self.lexical.withdraw([source])
            _delete(self.store, list(entry.chunk_ids) + list(entry.pending_ids or ()))
        self.manifest.remove(source)

    def _recover(self) -> None:
        """Finish or undo the switch a killed run left half-done."""
        for source, entry in self.manifest.entries().items():
            if entry.pending_ids is None:
                continue
            if self.store.registry.live_version(source) == entry.pending_hash:
                # The switch happened: only the old chunks' deletion was left. The index's own
                # record of the version is left to the catch-up, which refetches it if short.
                keep = set(entry.pending_ids)
                held = dict.fromkeys(list(entry.chunk_ids) + _stored_ids(self.store, [source]))
                stale = [c for c in held if c not in keep]
                self.lexical.delete(stale)
                _delete(self.store, stale)
                self.manifest.commit_replace([source])
            else:
                keep = set(entry.chunk_ids)
                abandoned = [c for c in entry.pending_ids if c not in keep]
                self.lexical.delete(abandoned)
                _delete(self.store, abandoned)
                self.manifest.abandon_replace(source)

    def _forget_if_store_lost(self) -> None:
        """A store emptied or replaced behind the manifest's back: start the manifest afresh."""
        entries = self.manifest.entries()
        expected = sum(len(entry.chunk_ids) for entry in entries.values())
        if expected and self.store.chunks.count() < expected:
            self.manifest.forget_store()


def _choose_owners(
    targets: list[Target], digests: dict[str, str | IngestError], entries: dict[str, ManifestEntry]
) -> dict[str, str]:
    """For each content hash, the one source whose chunks store it: the current holder, if its
    file still has that content, else the first file with it in this run."""
    owners: dict[str, str] = {}
    for target in targets:
        digest = digests[target.source]
        entry = entries.get(target.source)
        if (
            isinstance(digest, str)
            and entry
            and entry.alias_of is None
            and entry.content_hash == digest
        ):
            owners.setdefault(digest, target.source)
    for target in targets:
        digest = digests[target.source]
        if isinstance(digest, str):
            owners.setdefault(digest, target.source)
    return owners


def _under(source: str, prefix: str) -> bool:
    return prefix in ("", ".") or source == prefix or source.startswith(prefix + "/")


def _stored_ids(store: StoreHandle, sources: list[str]) -> list[str]:
    """The ids the store holds for `sources`, whatever the manifest says: a store whose
    manifest was lost or that was moved keeps chunks no entry names, and a re-cut of the same
    content (a newer TEXT_FORMAT) carries the same content hash, so readers would take those
    chunks for live ones beside the new."""
    found: list[str] = []
    for start in range(0, len(sources), WRITE_BATCH):
        batch = sources[start : start + WRITE_BATCH]
        found += store.chunks.get(where={"source": {"$in": batch}}, include=[])["ids"]
    return found


def _delete(store: StoreHandle, ids: list[str]) -> None:
    """The one way chunks leave the store: with their sentences."""
    for start in range(0, len(ids), WRITE_BATCH):
        store.chunks.delete(ids=ids[start : start + WRITE_BATCH])
    store.sentences.delete_for_chunks(ids)
