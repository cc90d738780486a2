"""The reconciler loop: beside each job consumer, queues again the parse jobs a dead worker held."""

from __future__ import annotations

import logging
import threading
import time

from . import parsing

log = logging.getLogger("sciplane.dqm")


def start(ctx) -> threading.Thread:
    settings = ctx.plugin_settings("dqm")

    def loop() -> None:
        while True:
            try:
                with ctx.database.connection_context():
                    requeued = parsing.reconcile(ctx, settings.stale_after_s)
                if requeued:
                    log.warning("re-queued stale dqm parse job(s) %s", requeued)
            except Exception:  # a database hiccup must not end the loop
                log.exception("dqm reconciler pass failed")
            time.sleep(settings.reconcile_every_s)

    thread = threading.Thread(target=loop, name="dqm-reconciler", daemon=True)
    thread.start()
    return thread
