"""The route table of the mount: ``{mount}/api/…``, the token endpoint and the view URLs."""

from __future__ import annotations

from sciplane import Route
from sciplane.auth.oauth import TokenEndpoint

from . import openapi
from .resources import records, versions
from .resources.base import Context
from .resources.conditions import ExpectedCondition, PossibleConditions, SetExpectedCondition
from .resources.constants import ConstantOfCalibration, ConstantsOfCalibration
from .resources.identity import Me
from .resources.lookups import DetectorsByInstrument, ModesByDetectorType, PduMappings, PdusByDetector
from .services.catalog import KINDS, REPORTS
from .services.conditions import CONDITIONS
from .services.constants import CONSTANTS
from .services.pdus import PDUS
from .services.versions import VERSIONS

READ, WRITE = "calcat.read", "calcat.write"
# Reads and writes by method; the GET-like POST lookups declare their own.
BY_METHOD = {"GET": READ, "POST": WRITE, "PUT": WRITE, "PATCH": WRITE, "DELETE": WRITE}
TAGS = ("calcat",)


def route(path: str, resource, name: str, operations: dict, actions=None) -> Route:
    return Route(path, resource, name=f"calcat-{name}", actions=actions or BY_METHOD, tags=TAGS, openapi=operations)


def build(c: Context, accounts) -> list[Route]:
    table = [route("/api/me", Me(c), "me", openapi.ME, {"GET": READ})]
    for kind in [*KINDS, PDUS, CONDITIONS, CONSTANTS, VERSIONS]:
        table.append(route(f"/api/{kind.name}", records.Collection(c, kind), kind.name,
                           openapi.collection(kind.body_key)))
        table.append(route(f"/api/{kind.name}/{{pk:uint}}", records.Item(c, kind), f"{kind.name}-item",
                           openapi.item(kind.body_key)))
    modes = ModesByDetectorType(c)
    table += [route("/api/detectors/get_all_by_instrument", DetectorsByInstrument(c), "detectors-by-instrument",
                    openapi.LIST, {"GET": READ}),
              route("/api/operation_modes/get_all_by_detector_type_id", modes, "modes-by-detector-type",
                    openapi.LIST, {"GET": READ}),
              route("/api/physical_detector_units/get_all_by_detector", PdusByDetector(c), "pdus-by-detector",
                    openapi.LIST, {"GET": READ}),
              route("/api/physical_detector_units/{pk:uint}/mappings", PduMappings(c), "pdu-mappings",
                    openapi.LIST, {"GET": READ}),
              route("/api/operation_modes/get_all_by_detector_type", modes, "modes-by-detector-type-alias",
                    openapi.LIST, {"GET": READ})]
    searches = {"GET": READ, "POST": READ}
    table += [route("/api/conditions/get_possible_conditions", PossibleConditions(c), "possible-conditions",
                    openapi.SEARCH, searches),
              route("/api/conditions/get_expected_condition", ExpectedCondition(c), "expected-condition",
                    openapi.FIND, searches)]
    table += [route("/api/calibrations/{pk:uint}/get_calibration_constant", ConstantOfCalibration(c),
                    "calibration-constant", openapi.ONE, {"GET": READ}),
              route("/api/calibrations/{pk:uint}/get_all_calibration_constants", ConstantsOfCalibration(c),
                    "calibration-constants", openapi.LIST, {"GET": READ})]
    for segment, resource in versions.lookups(c).items():
        table.append(route(f"/api/calibration_constants/{{pk:uint}}/{segment}", resource, f"versions-{segment}",
                           openapi.LIST if segment in ("get_all_versions", "get_closest_version_by_detector")
                           else openapi.ONE, {"GET": READ}))
    table.append(route("/api/calibration_constant_versions/get_by_detector_conditions",
                       versions.ByDetectorConditions(c), "versions-by-detector-conditions", openapi.SEARCH,
                       searches))
    setter = SetExpectedCondition(c)
    for spelling in ("set_expected_condition", "set_expected_conditions", "set_possible_conditions"):
        table.append(route(f"/api/conditions/{spelling}", setter, f"conditions-{spelling}",
                           openapi.get_or_create("condition")))
    table.append(route("/api/reports/set", records.ReportSet(c), "reports-set",
                       openapi.get_or_create("report")))
    # The targets of view_url links answer with the API's JSON.
    table += [route("/reports/{pk:uint}", records.ItemView(c, REPORTS), "report-view",
                    openapi.item("report", writable=False), {"GET": READ}),
              route("/calibration_constant_versions/{pk:uint}", records.ItemView(c, VERSIONS), "version-view",
                    openapi.item("calibration_constant_version", writable=False), {"GET": READ})]
    if c.settings.token_endpoint:
        table.append(Route("/oauth/token", TokenEndpoint(accounts), name="calcat-oauth-token", public=True,
                           tags=TAGS, openapi=TokenEndpoint.OPENAPI))
    return table
