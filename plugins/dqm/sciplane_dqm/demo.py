"""Demo data: the sample files (two legacy CSVs, a small DQMIO file), registered and parsed through the
real services under every key their parsers serve."""

from __future__ import annotations

import shutil
from pathlib import Path

from .models import DqmFile
from .services import files, ingest, parsing

SAMPLES = Path(__file__).parent / "samples"
KEYS = {"csv": [(1, "lum"), (2, "lum")], "nanodqm": [(1, "lum"), (2, "lum"), (1, "run"), (2, "run")]}


def load(ctx, echo) -> None:
    # The samples are copied into the data directory and registered from there: the demo acts as the
    # operator, so its own directory counts as a data root for this registration.
    root = Path(ctx.settings.data_dir).resolve() / "dqm-samples"
    root.mkdir(parents=True, exist_ok=True)
    known = {row.filepath for row in DqmFile.select(DqmFile.filepath)}
    for sample in sorted(SAMPLES.iterdir()):
        target = root / sample.name
        if str(target) in known:
            continue
        shutil.copyfile(sample, target)
        file = files.register(ctx, [str(root)], str(target), data_era=files.era_of(sample.name))
        for dimensionality, granularity in KEYS.get(file.filetype, []):
            if ctx.parsers.get((file.filetype, dimensionality, granularity)) is None:
                continue
            job = parsing.start(ctx, file.id, parsing.ParseRequest(dimensionality, granularity), enqueue=False)
            ingest.run_job(ctx, job.id)
        echo(f"dqm: {sample.name} registered and parsed")
