"""Module-level functions of the shape family (filled in by that family)."""
__all__ = []
