"""Counting the SQL statements a piece of code executes (for "one statement per request" tests)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator


class _StatementCounter(logging.Handler):
    """Collects the statements peewee executes (it logs each one at DEBUG)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        sql = record.msg[0] if isinstance(record.msg, tuple) else str(record.msg)
        # Not peewee.pool's bookkeeping, nor a statement prepared once per connection.
        if record.name == "peewee" and not sql.startswith("PREPARE "):
            self.statements.append(sql)


@contextlib.contextmanager
def count_statements() -> Iterator[list[str]]:
    """``with count_statements() as statements:`` — the SQL text of every statement run inside."""
    logger = logging.getLogger("peewee")
    handler = _StatementCounter()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
