"""Registry entries for the reduce family."""
OPS = []
