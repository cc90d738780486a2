"""``sciplane calcat …``: operator commands, all through the plugin's services."""

from __future__ import annotations

import json
from pathlib import Path

import click

from sciplane import Identity
from sciplane.cli import pass_app, run_in_database

from .errors import CalcatError
from .models import (
    Calibration,
    CalibrationConstant,
    CalibrationConstantVersion,
    Detector,
    DetectorInstrument,
    Instrument,
    PhysicalDetectorUnit,
)
from .services import Call, records
from .services.versions import VERSIONS
from .wire import times

# Commands act as the operator: whoever can run them can reach the database anyway.
OPERATOR = Identity(username="cli", name="command line", provider="cli", is_superuser=True, via="cli")


def _run(ctx, func):
    return run_in_database(ctx, func, catch=CalcatError, describe=lambda exc: json.dumps(exc.info))


@click.group("calcat")
def calcat() -> None:
    """Calibration catalogue: detectors, constants, injection, demo data."""


@calcat.command("load-demo")
@pass_app
def load_demo(ctx) -> None:
    """Load the demo catalogue (idempotent)."""
    from . import demo
    _run(ctx, lambda: demo.load(ctx, click.echo))


@calcat.command("load-benchmark")
@click.option("--scale", type=float, default=1.0, show_default=True,
              help="Fraction of the 20,000 conditions and 200,000 versions to create.")
@pass_app
def load_benchmark(ctx, scale: float) -> None:
    """Load the demo, then the benchmark catalogue (20 detectors × 16 modules, 200,000 versions)."""
    from . import benchmark, demo
    settings = ctx.plugin_settings("calcat")
    call = Call(OPERATOR, settings.timezone, settings.uuid_parameter_name)
    _run(ctx, lambda: (demo.load(ctx, click.echo), benchmark.load(call, click.echo, scale)))


@calcat.command("detectors")
@click.option("--instrument", help="Only the detectors of this instrument identifier (e.g. SPB).")
@pass_app
def detectors(ctx, instrument: str | None) -> None:
    """List detectors with their module count and instruments."""
    def work():
        query = Detector.select().order_by(Detector.identifier)
        if instrument:
            query = (query.join(DetectorInstrument, on=DetectorInstrument.detector == Detector.id)
                     .join(Instrument).where(Instrument.identifier == instrument))
        for detector in query:
            modules = PhysicalDetectorUnit.select().where(PhysicalDetectorUnit.detector == detector.id).count()
            where = [i.identifier for i in Instrument.select().join(DetectorInstrument)
                     .where(DetectorInstrument.detector == detector.id).order_by(Instrument.identifier)]
            click.echo(f"{detector.id}\t{detector.identifier}\t{modules} modules\t{','.join(where)}")
    _run(ctx, work)


@calcat.command("constants")
@click.argument("detector_identifier")
@pass_app
def constants(ctx, detector_identifier: str) -> None:
    """List the constant versions of a detector's current modules, by slot and begin time."""
    tz = ctx.plugin_settings("calcat").timezone

    def work():
        detector = Detector.get_or_none(Detector.identifier == detector_identifier)
        if detector is None:
            raise click.ClickException(f"no detector {detector_identifier}")
        rows = (CalibrationConstantVersion
                .select(CalibrationConstantVersion, PhysicalDetectorUnit, CalibrationConstant, Calibration)
                .join(PhysicalDetectorUnit).switch(CalibrationConstantVersion).join(CalibrationConstant)
                .join(Calibration).where(PhysicalDetectorUnit.detector == detector.id)
                .order_by(PhysicalDetectorUnit.karabo_da, CalibrationConstantVersion.begin_at_us))
        for ccv in rows:
            pdu, calibration = ccv.physical_detector_unit, ccv.calibration_constant.calibration
            state = "deployed" if ccv.flg_deployed else "withdrawn"
            click.echo(f"{pdu.karabo_da}\t{pdu.physical_name}\t{calibration.name}\t"
                       f"{times.render(ccv.begin_at_us, tz)}\t{state}\t{ccv.name}")
    _run(ctx, work)


@calcat.command("inject")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def inject(ctx, path: Path) -> None:
    """Create a constant version from a JSON file: the body of ``POST calibration_constant_versions``,
    wrapped in ``calibration_constant_version`` or not."""
    try:
        body = json.loads(path.read_text())
    except ValueError as exc:
        raise click.ClickException(f"{path}: not JSON ({exc})") from None
    if isinstance(body, dict) and "calibration_constant_version" not in body:
        body = {"calibration_constant_version": body}
    settings = ctx.plugin_settings("calcat")
    call = Call(OPERATOR, settings.timezone, settings.uuid_parameter_name)
    row = _run(ctx, lambda: records.create(VERSIONS, body if isinstance(body, dict) else {}, call))
    click.echo(f"created constant version {row.id} ({row.name})")


COMMANDS = [calcat]
