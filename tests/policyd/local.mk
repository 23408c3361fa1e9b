# tests/policyd -- (filled in by its owner)
