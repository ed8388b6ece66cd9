"""Scenarios by meaning: a topic whose words name no scenario ("online classes", "陪玩", "social
audio app") is matched by the embedding model against each scenario's names and descriptions in
both languages (domain/data/scenarios.yaml).

e5 cosines sit in a narrow band, so a match needs both a high cosine and a margin over the next
scenario to be taken as meant; a high cosine alone is taken as an assumption the briefing states;
below that, nothing matched (a vendor's name, "our startup"). Calibrated with the paraphrases and
non-scenarios of tests/knowledge/test_scenario_match.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from knowledge.domain.topics import Scenario, ScenarioBook

SURE_COSINE = 0.875
SURE_MARGIN = 0.025
ASSUME_COSINE = 0.85


@dataclass(frozen=True, slots=True)
class ScenarioMatch:
    """The scenario a topic means, how close it came, and whether it is sure enough to take
    without saying so."""

    scenario: Scenario
    cosine: float
    sure: bool


class ScenarioMatcher:
    """Matches free text to the closest scenario by meaning; the scenarios' texts are embedded
    once, at the first match."""

    def __init__(
        self,
        scenarios: ScenarioBook,
        embed_query: Callable[[str], np.ndarray],
        embed_passages: Callable[[list[str]], np.ndarray],
    ) -> None:
        self.scenarios = scenarios
        self._embed_query = embed_query
        self._embed_passages = embed_passages
        self._passages: tuple[np.ndarray, list[Scenario]] | None = None
        self._lock = threading.Lock()

    def match(self, text: str) -> ScenarioMatch | None:
        """The scenario `text` means, or None when none is close enough."""
        if not text.strip() or not self.scenarios.scenarios:
            return None
        vectors, owners = self._texts()
        cosines = vectors @ self._embed_query(text)
        best: dict[str, tuple[float, Scenario]] = {}
        for cosine, scenario in zip(cosines, owners, strict=True):
            if scenario.id not in best or cosine > best[scenario.id][0]:
                best[scenario.id] = (float(cosine), scenario)
        ranked = sorted(best.values(), key=lambda pair: -pair[0])
        top, scenario = ranked[0]
        second = ranked[1][0] if len(ranked) > 1 else 0.0
        if top < ASSUME_COSINE:
            return None
        return ScenarioMatch(scenario, top, top >= SURE_COSINE and top - second >= SURE_MARGIN)

    def _texts(self) -> tuple[np.ndarray, list[Scenario]]:
        with self._lock:
            if self._passages is None:
                texts: list[str] = []
                owners: list[Scenario] = []
                for scenario in self.scenarios.scenarios:
                    for text in (scenario.name_en, scenario.name_zh, *scenario.descriptions):
                        if text:
                            texts.append(text)
                            owners.append(scenario)
                self._passages = (np.asarray(self._embed_passages(texts)), owners)
            return self._passages
