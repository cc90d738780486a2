"""Thin Falcon resources: parse, call a service, render."""
