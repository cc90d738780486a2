"""The demo catalogue: SPB's AGIPD with a module swap, an LPD with a text parameter, a JUNGFRAU,
their dark (and some flat-field) constants — created through the services, as a client would.

Idempotent: objects found by their unique names are left alone.  Values are
synthetic but shaped like production data; the scenario tests rely on them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .models import (
    Calibration,
    CalibrationConstant,
    CalibrationConstantVersion,
    Condition,
    Detector,
    DetectorType,
    Instrument,
    Parameter,
    PhysicalDetectorUnit,
    Report,
    Unit,
)
from .services import Call, conditions, records
from .services.catalog import CALIBRATIONS, DETECTOR_TYPES, DETECTORS, INSTRUMENTS, PARAMETERS, REPORTS, UNITS
from .services.constants import CONSTANTS
from .services.pdus import PDUS
from .services.versions import VERSIONS
from .wire import scalars, times

UNITS_ = ["V", "MHz", "us", "K", "keV", "pF", "ADU"]
INSTRUMENTS_ = [("SPB/SFX SASE1", "SPB"), ("FXE SASE1", "FXE"), ("MID SASE2", "MID"), ("HED SASE2", "HED")]
TYPES = [("AGIPD-Type", "AGIPDConditions"), ("LPD-Type", None), ("jungfrau-Type", None)]
PARAMETERS_ = [  # name, unit, text, default deviation
    ("Sensor Bias Voltage", "V", False, 5.0), ("Memory cells", "No unit", False, 0.0),
    ("Pixels X", "No unit", False, 0.0), ("Pixels Y", "No unit", False, 0.0),
    ("Acquisition rate", "MHz", False, 0.1), ("Gain setting", "No unit", False, 0.0),
    ("Gain mode", "No unit", False, 0.0), ("Integration time", "us", False, 0.0),
    ("Source energy", "keV", False, 0.1), ("Detector UUID", "No unit", False, 0.0),
    ("Feedback capacitor", "pF", False, 0.0), ("Memory cell order", "No unit", True, None),
    ("Parallel gain", "No unit", False, 0.0), ("category", "No unit", False, 0.0),
    ("Sensor temperature", "K", False, 5.0), ("Exposure timeout", "No unit", False, 0.0)]
CALIBRATIONS_ = [("Offset", "ADU"), ("Noise", "ADU"), ("ThresholdsDark", "ADU"), ("BadPixelsDark", "No unit"),
                 ("BadPixelsFF", "No unit"), ("SlopesFF", "No unit"), ("Offset10Hz", "ADU"), ("Noise10Hz", "ADU"),
                 ("BadPixelsDark10Hz", "No unit"), ("RelativeGain10Hz", "No unit"), ("BadPixelsFF10Hz", "No unit")]
DETECTORS_ = [  # identifier, control id, source pattern, modules, first index, instrument
    ("SPB_DET_AGIPD1M-1", "SPB_IRU_AGIPD1M1", "SPB_DET_AGIPD1M-1/DET/{modno}CH0:xtdf", 16, 0, "SPB"),
    ("SPB_IRDA_JF4M", "SPB_IRDA_JF4M", "SPB_IRDA_JF4M/DET/JNGFR{modno:02d}:daqOutput", 8, 1, "SPB"),
    ("FXE_DET_LPD1M-1", "FXE_DET_LPD1M-1", "FXE_DET_LPD1M-1/DET/{modno}CH0:xtdf", 16, 0, "FXE"),
    ("MID_DET_AGIPD1M-1", "MID_EXP_AGIPD1M1", "MID_DET_AGIPD1M-1/DET/{modno}CH0:xtdf", 16, 0, "MID")]
SWAP_AT = "2024-02-15T12:00:00+01:00"
A352 = {"Sensor Bias Voltage": 300, "Pixels X": 512, "Pixels Y": 128, "Memory cells": 352, "Acquisition rate": 1.1,
        "Gain setting": 0}
LPD = {"Sensor Bias Voltage": 250, "Memory cells": 512, "Pixels X": 256, "Pixels Y": 256, "Feedback capacitor": 5.0}
JF = {"Sensor Bias Voltage": 180, "Memory cells": 1, "Pixels X": 1024, "Pixels Y": 512, "Integration time": 10,
      "Sensor temperature": 291, "Gain setting": 0}
DARK = ["Offset", "Noise", "ThresholdsDark", "BadPixelsDark"]
LPD_DARK = ["Offset", "Noise", "BadPixelsDark"]
JF_DARK = ["Offset10Hz", "Noise10Hz", "BadPixelsDark10Hz"]


def agipd_uuid(base: int, m: int) -> int:
    return base + (m + 1) * 100000


def order_text(last: int) -> str:
    return "".join(f"{i}," for i in range(last + 1))


@dataclass
class Loader:
    call: object
    counter: int = 0

    def get_or_create(self, kind, model, lookup, **attributes):
        found = model.get_or_none(lookup)
        return found if found is not None else records.create(kind, {kind.body_key: attributes}, self.call)

    def condition(self, name: str, values: dict) -> Condition:
        found = Condition.get_or_none(Condition.name == name)
        if found is not None:
            return found
        entries = [{"parameter_name": key, "value": value} for key, value in values.items()]
        return conditions.set_expected({"condition": {"name": name, "parameters_conditions_attributes": entries}},
                                       self.call, self.call.uuid_name)[0]

    def constant(self, detector_type: DetectorType, calibration: str, condition: Condition) -> CalibrationConstant:
        name = f"{detector_type.name}_{calibration}"[:40] + "_" + condition.name
        cal = Calibration.get(Calibration.name == calibration)
        return self.get_or_create(CONSTANTS, CalibrationConstant, CalibrationConstant.name == name, name=name,
                                  calibration_id=cal.id, detector_type_id=detector_type.id,
                                  condition_id=condition.id, flg_auto_approve=True)

    def report(self, name: str, instrument: str, detector: str, kind: str) -> Report:
        path = f"/calcat-demo/reports/{instrument}/{detector}/{kind}/{name}"
        return self.get_or_create(REPORTS, Report, Report.file_path == path, name=name, file_path=path)

    def version(self, constant: CalibrationConstant, pdu: PhysicalDetectorUnit, calibration: str, begin: str,
                report: Report | None, deployed: bool = True) -> None:
        begin_us = times.parse(begin, "UTC")
        local = times.from_us(begin_us).astimezone(times.zone(self.call.tz))
        tag = pdu.physical_name.rsplit("_", 1)[-1]
        name = f"{local:%Y%m%d_%H%M%S}_{tag}_{calibration}"
        if CalibrationConstantVersion.get_or_none(CalibrationConstantVersion.name == name) is not None:
            return
        self.counter += 1
        runs = re.findall(r"_r0*(\d+)", report.name) if report else []
        proposal = re.search(r"_(\d{6})_", report.name).group(1) if report else "900001"
        records.create(VERSIONS, {"calibration_constant_version": {
            "name": name, "file_name": f"cal.{begin_us // 1_000_000}.{self.counter:04d}.h5",
            "path_to_file": f"xfel/cal/{pdu.detector_type.name.lower()}/{pdu.physical_name.lower()}/",
            "data_set_name": f"/{pdu.physical_name}/{calibration}/0", "calibration_constant_id": constant.id,
            "physical_detector_unit_id": pdu.id, "begin_at": begin, "start_idx": 0, "end_idx": 0,
            "raw_data_location": f"proposal:{proposal} runs:{' '.join(runs)}", "flg_deployed": deployed,
            "report_id": report.id if report else None, "description": ""}}, self.call)


def load(ctx, echo) -> None:
    settings = ctx.plugin_settings("calcat")
    writer = ctx.accounts.identity_for(_identities(ctx), via="demo")
    loader = Loader(Call(writer, settings.timezone, settings.uuid_parameter_name))
    units = {u.name: u for u in Unit.select()}
    for name in UNITS_:
        units[name] = loader.get_or_create(UNITS, Unit, Unit.name == name, name=name, symbol=name)
    instruments = {ident: loader.get_or_create(INSTRUMENTS, Instrument, Instrument.identifier == ident, name=name,
                                               identifier=ident) for name, ident in INSTRUMENTS_}
    types = {name: loader.get_or_create(DETECTOR_TYPES, DetectorType, DetectorType.name == name, name=name,
                                        description=description) for name, description in TYPES}
    for name, unit, text, deviation in PARAMETERS_:
        extra = {} if deviation is None else {"def_lower_deviation_value": deviation,
                                              "def_upper_deviation_value": deviation}
        loader.get_or_create(PARAMETERS, Parameter, Parameter.name_ci == name.lower(), name=name,
                             unit_id=units[unit].id, flg_text=text, **extra)
    for name, unit in CALIBRATIONS_:
        loader.get_or_create(CALIBRATIONS, Calibration, Calibration.name == name, name=name, unit_id=units[unit].id)
    detectors = {}
    for ident, control, pattern, modules, first, instrument in DETECTORS_:
        detectors[ident] = loader.get_or_create(
            DETECTORS, Detector, Detector.identifier == ident, name=ident, identifier=ident, karabo_name=ident,
            karabo_id_control=control, source_name_pattern=pattern, number_of_modules=modules,
            first_module_index=first, instrument_ids=[instruments[instrument].id])
    pdus = _pdus(loader, detectors, types)
    _constants(loader, types, pdus)
    echo(f"calcat: {Detector.select().count()} detectors, {PhysicalDetectorUnit.select().count()} PDUs, "
         f"{CalibrationConstantVersion.select().count()} constant versions")


def _pdu(loader, name: str, dtype, detector=None, slot=None, vdn=None, uuid=None, module=None):
    return loader.get_or_create(
        PDUS, PhysicalDetectorUnit, PhysicalDetectorUnit.physical_name == name, physical_name=name, uuid=uuid,
        detector_type_id=dtype.id, detector_id=detector.id if detector else None, karabo_da=slot,
        virtual_device_name=vdn, module_number=module)


def _pdus(loader, detectors, types) -> dict[str, PhysicalDetectorUnit]:
    out = {}
    agipd, lpd, jf = types["AGIPD-Type"], types["LPD-Type"], types["jungfrau-Type"]
    spb = detectors["SPB_DET_AGIPD1M-1"]
    for m in range(16):
        quadrant = f"Q{m // 4 + 1}M{m % 4 + 1}"
        out[f"M{500 + m}"] = _pdu(loader, f"AGIPD_SIV1_AGIPDV11_M{500 + m}", agipd, spb, f"AGIPD{m:02d}", quadrant,
                                  agipd_uuid(101000000000, m))
        _pdu(loader, f"AGIPD_SIV1_AGIPDV11_M{600 + m}", agipd, detectors["MID_DET_AGIPD1M-1"], f"AGIPD{m:02d}",
             quadrant, agipd_uuid(101100000000, m))
        out[f"SM{100 + m}"] = _pdu(loader, f"LPD_SIV1_LPDV2_SM{100 + m}", lpd, detectors["FXE_DET_LPD1M-1"],
                                   f"LPD{m:02d}", quadrant, agipd_uuid(202000000000, m))
    for i in range(1, 9):
        out[f"M{300 + i}"] = _pdu(loader, f"Jungfrau_M{300 + i}", jf, detectors["SPB_IRDA_JF4M"], f"JNGFR{i:02d}",
                                  None, 800000000000 + i, i)
    spare = _pdu(loader, "AGIPD_SIV1_AGIPDV11_M516", agipd, uuid=agipd_uuid(101000000000, 16))
    if spare.detector_id is None:  # the module swap: M507 leaves AGIPD07, M516 takes it
        records.update(PDUS, out["M507"].id, {"physical_detector_unit": {
            "detector_id": None, "mapping_valid_from": SWAP_AT}}, loader.call)
        spare = records.update(PDUS, spare.id, {"physical_detector_unit": {
            "detector_id": spb.id, "karabo_da": "AGIPD07", "virtual_device_name": "Q2M4",
            "mapping_valid_from": SWAP_AT}}, loader.call)
    out["M516"] = spare
    return out


def _constants(loader, types, pdus) -> None:
    agipd, lpd, jf = types["AGIPD-Type"], types["LPD-Type"], types["jungfrau-Type"]
    a352 = loader.condition("AGIPD dark 352c 1.1MHz 300V", A352)
    a202 = loader.condition("AGIPD dark 202c 2.2MHz 300V", {**A352, "Memory cells": 202, "Acquisition rate": 2.2})
    spb_before = [f"M{500 + m}" for m in range(16)]
    spb_after = [name if name != "M507" else "M516" for name in spb_before]
    for report_name, begin, condition, modules in (
            ("dark_900001_r0010_r0011_r0012_240110_100000.pdf", "2024-01-10T10:00:00+01:00", a352, spb_before),
            ("dark_900001_r0015_r0016_r0017_240201_090000.pdf", "2024-02-01T09:00:00+01:00", a202, spb_before),
            ("dark_900001_r0020_r0021_r0022_240310_100000.pdf", "2024-03-10T10:00:00+01:00", a352, spb_after)):
        report = loader.report(report_name, "SPB", "SPB_DET_AGIPD1M-1", "dark")
        for calibration in DARK:
            constant = loader.constant(agipd, calibration, condition)
            for module in modules:
                loader.version(constant, pdus[module], calibration, begin, report)
    loader.version(loader.constant(agipd, "Offset", a352), pdus["M500"], "Offset", "2024-04-01T10:00:00+02:00",
                   None, deployed=False)
    ff = loader.report("ff_900002_r0030_231120_080000.pdf", "SPB", "SPB_DET_AGIPD1M-1", "ff")
    for m in range(4):
        uuid = scalars.float_of_bits(pdus[f"M{500 + m}"].uuid)
        legacy = loader.condition(f"AGIPD FF legacy AGIPD0{m}", {**A352, "Source energy": 9.2, "Detector UUID": uuid})
        for calibration in ("BadPixelsFF", "SlopesFF"):
            loader.version(loader.constant(agipd, calibration, legacy), pdus[f"M{500 + m}"], calibration,
                           "2023-11-20T08:00:00+01:00", ff)
    full = loader.condition("LPD DefDEMOfull00000000000==\n", {**LPD, "Memory cell order": order_text(509)})
    part = loader.condition("LPD DefDEMOpart00000000000==\n", {**LPD, "Memory cell order": order_text(99)})
    for report_name, begin, condition, count in (
            ("dark_900003_r0040_r0041_r0042_240502_140000.pdf", "2024-05-02T14:00:00+02:00", full, 16),
            ("dark_900003_r0050_r0051_r0052_240520_140000.pdf", "2024-05-20T14:00:00+02:00", part, 2)):
        report = loader.report(report_name, "FXE", "FXE_DET_LPD1M-1", "dark")
        for calibration in LPD_DARK:
            constant = loader.constant(lpd, calibration, condition)
            for m in range(count):
                loader.version(constant, pdus[f"SM{100 + m}"], calibration, begin, report)
    jf_condition = loader.condition("JUNGFRAU dark 1c 10us 180V", JF)
    for report_name, begin in (("dark_900004_r0060_r0061_r0062_221007_090000.pdf", "2022-10-07T09:00:00+02:00"),
                               ("dark_900004_r0070_r0071_r0072_240304_134500.pdf", "2024-03-04T13:45:00+01:00")):
        report = loader.report(report_name, "SPB", "SPB_IRDA_JF4M", "dark")
        for calibration in JF_DARK:
            constant = loader.constant(jf, calibration, jf_condition)
            for i in range(1, 9):
                loader.version(constant, pdus[f"M{300 + i}"], calibration, begin, report)


def _identities(ctx):
    """The demo's writer: service user ``calcat-injector`` (role ``calcat-writer``), token
    ``demo-writer-token`` and OAuth application ``demo-client`` / ``demo-secret``."""
    accounts = ctx.accounts
    user = accounts.find_user("calcat-injector")
    if user is None:
        user = accounts.create_user("calcat-injector", email="injector@example.org", name="Calibration Injector",
                                    is_service=True, roles=["calcat-writer"])
        accounts.create_token(user, name="demo", key="demo-writer-token")
    accounts.register_client("demo-client", "demo-secret", name="demo-client", username="calcat-injector",
                             roles=["calcat-writer"])
    return user

