"""Conditions database: global tags, payload types and lists, intervals of validity (Nopayloaddb-compatible)."""
