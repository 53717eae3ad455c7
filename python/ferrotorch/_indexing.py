"""Module-level functions of the indexing family (filled in by that family)."""
__all__ = []
