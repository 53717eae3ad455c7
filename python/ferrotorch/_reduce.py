"""Module-level functions of the reduce family (filled in by that family)."""
__all__ = []
