"""Synthetic clinic networks at scale (puncta seed)."""
