"""The catalogue's tables.

Instants are integer microseconds since the Unix epoch (``*_us``): ordering
expressions such as ``ABS(begin_at_us - :e)`` are then the same on SQLite and
PostgreSQL, equality in unique keys is exact, and no driver converts time
zones.  The schema itself, partial unique indexes included, is migration
0001's; the services look for collisions first only to name every colliding
attribute, and the indexes decide races.
"""

from __future__ import annotations

import peewee

from sciplane import BaseModel

from .wire.times import now_us


class CalcatModel(BaseModel):
    created_at_us = peewee.BigIntegerField(default=now_us)
    updated_at_us = peewee.BigIntegerField(default=now_us)


class Unit(CalcatModel):
    # Its only row before any use is the one migration 0001 seeds: not a sign of data for `demo --if-empty`.
    bookkeeping = True

    name = peewee.CharField(max_length=255, unique=True)
    symbol = peewee.CharField(max_length=32, null=True)
    flg_available = peewee.BooleanField(default=True)
    description = peewee.TextField(null=True)

    class Meta:
        table_name = "calcat_unit"


class Instrument(CalcatModel):
    name = peewee.CharField(max_length=255, unique=True)
    identifier = peewee.CharField(max_length=255, unique=True)
    url = peewee.TextField(null=True)
    flg_available = peewee.BooleanField(default=True)
    description = peewee.TextField(null=True)

    class Meta:
        table_name = "calcat_instrument"


class DetectorType(CalcatModel):
    name = peewee.CharField(max_length=60, unique=True)
    flg_available = peewee.BooleanField(default=True)
    description = peewee.TextField(null=True)

    class Meta:
        table_name = "calcat_detector_type"


class OperationMode(CalcatModel):
    name = peewee.CharField(max_length=255, unique=True)
    flg_available = peewee.BooleanField(default=True)
    description = peewee.TextField(null=True)

    class Meta:
        table_name = "calcat_operation_mode"


class OperationModeDetectorType(BaseModel):
    operation_mode = peewee.ForeignKeyField(OperationMode, on_delete="CASCADE", backref="links")
    detector_type = peewee.ForeignKeyField(DetectorType, on_delete="CASCADE", index=False)
    position = peewee.IntegerField(null=True)

    class Meta:
        table_name = "calcat_operation_mode_detector_type"
        indexes = ((("operation_mode", "detector_type"), True), (("detector_type", "position"), False))


class Detector(CalcatModel):
    name = peewee.CharField(max_length=64, unique=True)
    identifier = peewee.CharField(max_length=255, unique=True)
    karabo_name = peewee.CharField(max_length=255, null=True, unique=True)
    karabo_id_control = peewee.CharField(max_length=255, null=True)
    source_name_pattern = peewee.CharField(max_length=255, null=True)
    number_of_modules = peewee.IntegerField(null=True)
    first_module_index = peewee.IntegerField(null=True)
    flg_available = peewee.BooleanField(default=True)
    description = peewee.TextField(null=True)

    class Meta:
        table_name = "calcat_detector"


class DetectorInstrument(BaseModel):
    detector = peewee.ForeignKeyField(Detector, on_delete="CASCADE", index=False)
    instrument = peewee.ForeignKeyField(Instrument, on_delete="CASCADE")

    class Meta:
        table_name = "calcat_detector_instrument"
        indexes = ((("detector", "instrument"), True),)


class PhysicalDetectorUnit(CalcatModel):
    physical_name = peewee.CharField(max_length=255, unique=True)
    uuid = peewee.BigIntegerField(null=True, unique=True)
    detector_type = peewee.ForeignKeyField(DetectorType, on_delete="RESTRICT")
    # The current mapping; its history is in PduMapping.
    detector = peewee.ForeignKeyField(Detector, null=True, on_delete="RESTRICT")
    karabo_da = peewee.CharField(max_length=255, null=True)
    virtual_device_name = peewee.CharField(max_length=255, null=True)
    module_number = peewee.IntegerField(null=True)
    flg_available = peewee.BooleanField(default=True)
    description = peewee.TextField(null=True)

    class Meta:
        table_name = "calcat_physical_detector_unit"


class PduMapping(BaseModel):
    """Where a PDU was mapped over ``[valid_from, valid_to)``; null bounds are open."""

    pdu = peewee.ForeignKeyField(PhysicalDetectorUnit, on_delete="CASCADE", index=False)
    detector = peewee.ForeignKeyField(Detector, on_delete="RESTRICT", index=False)
    karabo_da = peewee.CharField(max_length=255)
    virtual_device_name = peewee.CharField(max_length=255, null=True)
    module_number = peewee.IntegerField(null=True)
    valid_from_us = peewee.BigIntegerField(null=True)
    valid_to_us = peewee.BigIntegerField(null=True)
    created_at_us = peewee.BigIntegerField(default=now_us)

    class Meta:
        table_name = "calcat_pdu_mapping"
        indexes = ((("detector", "karabo_da", "valid_from_us"), False), (("pdu", "valid_from_us"), False))
        constraints = [peewee.Check("valid_to_us IS NULL OR valid_from_us IS NULL OR valid_to_us > valid_from_us")]


class Parameter(CalcatModel):
    name = peewee.CharField(max_length=255)
    name_ci = peewee.CharField(max_length=255, unique=True)  # name.lower(): names are case-insensitive
    unit = peewee.ForeignKeyField(Unit, null=True, on_delete="RESTRICT")
    flg_available = peewee.BooleanField(default=True)
    flg_logarithmic = peewee.BooleanField(default=False)
    flg_text = peewee.BooleanField(default=False)
    def_lower_deviation_value = peewee.DoubleField(null=True)
    def_upper_deviation_value = peewee.DoubleField(null=True)
    description = peewee.TextField(null=True)

    class Meta:
        table_name = "calcat_parameter"
        constraints = [peewee.Check("NOT (flg_logarithmic AND flg_text)")]


class Condition(CalcatModel):
    name = peewee.CharField(max_length=60, unique=True)
    num_parameters = peewee.SmallIntegerField()
    match_key = peewee.CharField(max_length=64)  # SHA-256 of the canonical parameter set (exact match)
    flg_available = peewee.BooleanField(default=True)
    description = peewee.TextField(null=True)

    class Meta:
        table_name = "calcat_condition"
        indexes = ((("num_parameters", "flg_available"), False), (("created_at_us",), False))


class ParameterCondition(BaseModel):
    condition = peewee.ForeignKeyField(Condition, on_delete="CASCADE", backref="parameter_conditions",
                                       index=False)
    parameter = peewee.ForeignKeyField(Parameter, on_delete="RESTRICT", index=False)
    value = peewee.DoubleField()
    value_bits = peewee.BigIntegerField()  # the value's IEEE-754 bit pattern: exact comparisons
    txt_value = peewee.TextField(null=True)
    lower_deviation_value = peewee.DoubleField(default=0.0)
    upper_deviation_value = peewee.DoubleField(default=0.0)
    flg_available = peewee.BooleanField(default=True)
    description = peewee.TextField(null=True)
    created_at_us = peewee.BigIntegerField(default=now_us)

    class Meta:
        table_name = "calcat_parameter_condition"
        indexes = ((("condition", "parameter"), True), (("parameter", "value", "condition"), False),
                   (("parameter", "value_bits", "condition"), False))


class Calibration(CalcatModel):
    name = peewee.CharField(max_length=255, unique=True)
    unit = peewee.ForeignKeyField(Unit, null=True, on_delete="RESTRICT")
    max_value = peewee.DoubleField(null=True)
    min_value = peewee.DoubleField(null=True)
    allowed_deviation = peewee.DoubleField(null=True)
    description = peewee.TextField(null=True)

    class Meta:
        table_name = "calcat_calibration"


class CalibrationConstant(CalcatModel):
    name = peewee.CharField(max_length=255, unique=True)
    calibration = peewee.ForeignKeyField(Calibration, on_delete="RESTRICT", index=False)
    detector_type = peewee.ForeignKeyField(DetectorType, on_delete="RESTRICT", index=False)
    condition = peewee.ForeignKeyField(Condition, on_delete="RESTRICT", index=False)
    flg_auto_approve = peewee.BooleanField(default=True)
    flg_available = peewee.BooleanField(default=True)
    description = peewee.TextField(null=True)

    class Meta:
        table_name = "calcat_calibration_constant"
        indexes = ((("calibration", "detector_type", "condition"), True),
                   (("condition", "detector_type", "calibration"), False))


class Report(CalcatModel):
    name = peewee.CharField(max_length=64, index=True)
    file_path = peewee.TextField(unique=True)
    flg_available = peewee.BooleanField(default=True)
    description = peewee.TextField(null=True)
    user_id = peewee.BigIntegerField(null=True)  # the core user who created it

    class Meta:
        table_name = "calcat_report"


class CalibrationConstantVersion(CalcatModel):
    name = peewee.CharField(max_length=60, unique=True)
    file_name = peewee.CharField(max_length=255)
    path_to_file = peewee.CharField(max_length=255)
    data_set_name = peewee.CharField(max_length=255)
    calibration_constant = peewee.ForeignKeyField(CalibrationConstant, on_delete="RESTRICT", index=False)
    physical_detector_unit = peewee.ForeignKeyField(PhysicalDetectorUnit, on_delete="RESTRICT", index=False)
    flg_deployed = peewee.BooleanField(default=True)
    flg_good_quality = peewee.BooleanField(default=True)
    begin_validity_at_us = peewee.BigIntegerField()
    end_validity_at_us = peewee.BigIntegerField(null=True)
    begin_at_us = peewee.BigIntegerField()
    start_idx = peewee.IntegerField(null=True)
    end_idx = peewee.IntegerField(null=True)
    raw_data_location = peewee.TextField(null=True)
    report = peewee.ForeignKeyField(Report, null=True, on_delete="RESTRICT", index=True)
    description = peewee.TextField(null=True)

    class Meta:
        table_name = "calcat_calibration_constant_version"
        indexes = ((("calibration_constant", "physical_detector_unit", "begin_at_us"), True),
                   (("physical_detector_unit", "calibration_constant", "begin_at_us"), False))


class CcvDeployment(BaseModel):
    """When a CCV was deployed: ``[deployed_from, deployed_to)``, open while deployed."""

    ccv = peewee.ForeignKeyField(CalibrationConstantVersion, on_delete="CASCADE", index=False)
    deployed_from_us = peewee.BigIntegerField()
    deployed_to_us = peewee.BigIntegerField(null=True)

    class Meta:
        table_name = "calcat_ccv_deployment"
        indexes = ((("ccv", "deployed_from_us"), False),)


MODELS = [Unit, Instrument, DetectorType, OperationMode, OperationModeDetectorType, Detector, DetectorInstrument,
          PhysicalDetectorUnit, PduMapping, Parameter, Condition, ParameterCondition, Calibration,
          CalibrationConstant, Report, CalibrationConstantVersion, CcvDeployment]
