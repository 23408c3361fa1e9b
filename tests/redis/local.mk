# tests/redis -- (filled in by its owner)
