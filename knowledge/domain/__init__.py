"""The domain the assistant knows: vendors, scenarios, the bilingual glossary and the criteria
vendors are judged by. All of it is data (`domain/data/`), read once into one `Domain` that the
factory builds and hands to whatever needs it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge.domain.criteria import CriteriaBook, load_criteria
from knowledge.domain.glossary import Glossary, load_glossary
from knowledge.domain.topics import ScenarioBook, VendorBook, load_scenario_book, load_vendor_book

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True, slots=True)
class Domain:
    """Everything the assistant knows about the domain besides the store."""

    vendors: VendorBook
    scenarios: ScenarioBook
    glossary: Glossary
    criteria: CriteriaBook


def load_domain(folder: Path = DATA_DIR) -> Domain:
    """Read the domain's data files from `folder` (a missing file gives an empty part)."""
    return Domain(
        vendors=load_vendor_book(folder / "vendors.yaml"),
        scenarios=load_scenario_book(folder / "scenarios.yaml"),
        glossary=load_glossary(folder / "glossary.yaml"),
        criteria=load_criteria(folder / "criteria.yaml"),
    )
