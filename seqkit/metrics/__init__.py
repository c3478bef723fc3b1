"""Metrics that score strings and numbers (never models), from additive sufficient statistics."""

from seqkit.metrics.bleu import BLEU, BLEUScore, BLEUStats, ngram_stats

__all__ = ["BLEU", "BLEUScore", "BLEUStats", "ngram_stats"]
