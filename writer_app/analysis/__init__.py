"""Deterministic Chinese text analysis (jieba, no model)."""
