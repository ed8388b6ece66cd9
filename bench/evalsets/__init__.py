"""Evaluation corpora beside the bundled one: their registry, questions and annotations
(data), and the script that re-extracts fetched documentation from git mirrors."""
