"""Security tests: secrets never leak, endpoints reveal nothing, outputs stay in place,
dependencies are pinned."""
