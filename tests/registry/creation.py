"""Registry entries for the creation family."""
OPS = []
