"""Store → answers: hybrid retrieval; cited answers, briefings and comparisons."""
