"""Thin Falcon resources: read the request, call a service, render."""
