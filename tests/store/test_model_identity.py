"""The identity the store records for the model that embedded a document."""

from __future__ import annotations

import json
from pathlib import Path

from store.embedding import LazyEmbedder, model_identity
from store.model_build import CONVERTER_VERSION, STAMP_NAME


def test_a_rebuild_is_named_by_folder_converter_and_source(tmp_path: Path) -> None:
    folder = tmp_path / "multilingual-e5-small"
    folder.mkdir()
    stamp = {"converter_version": CONVERTER_VERSION, "source_sha256": "abcdef0123456789" * 4}
    (folder / STAMP_NAME).write_text(json.dumps(stamp), "utf-8")
    identity = model_identity(str(folder))
    assert identity == f"multilingual-e5-small@rebuild-{CONVERTER_VERSION}-abcdef012345"
    # Where the folder lives does not matter: a store moved with its model keeps matching.
    moved = tmp_path / "elsewhere" / "multilingual-e5-small"
    moved.parent.mkdir()
    folder.rename(moved)
    assert model_identity(str(moved)) == identity


def test_other_models_are_named_by_folder_or_hub_name(tmp_path: Path) -> None:
    folder = tmp_path / "all-MiniLM-L6-v2"
    folder.mkdir()
    assert model_identity(str(folder)) == "all-MiniLM-L6-v2"
    assert model_identity("intfloat/multilingual-e5-small") == "intfloat/multilingual-e5-small"


def test_a_new_converter_version_is_a_new_identity(tmp_path: Path) -> None:
    folder = tmp_path / "e5"
    folder.mkdir()
    identities = set()
    for version in (1, 2):
        stamp = {"converter_version": version, "source_sha256": "00" * 32}
        (folder / STAMP_NAME).write_text(json.dumps(stamp), "utf-8")
        identities.add(model_identity(str(folder)))
    assert len(identities) == 2


def test_the_lazy_embedder_knows_its_identity_without_loading(tmp_path: Path) -> None:
    lazy = LazyEmbedder(str(tmp_path / "not-built-yet"))
    assert lazy.identity == "not-built-yet"
