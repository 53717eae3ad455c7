"""Registry entries for the shape family."""
OPS = []
