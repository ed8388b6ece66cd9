"""The evaluation harness: retrieval and answer quality on a fixed question set, with a baseline."""
