"""Store → answers: hybrid retrieval and cited, retrieval-grounded answers, briefings, comparisons."""
