"""Module-level functions of the creation family (filled in by that family)."""
__all__ = []
