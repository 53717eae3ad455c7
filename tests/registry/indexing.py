"""Registry entries for the indexing family."""
OPS = []
