"""The catalogue's logic, free of HTTP: model declarations and the code that reads and writes them."""

from dataclasses import dataclass
from typing import Any


@dataclass
class Call:
    """What a service needs from a request: the identity and the deployment's conventions."""

    identity: Any
    tz: str
    uuid_name: str
