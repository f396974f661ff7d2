"""hakken for Python: a device SDK speaking protocol v1 over MQTT, and a client of the REST API."""

from .client import Client, HakkenError, parse_results_csv, pending_of
from .device import Device
from .outcome import Failed, Result, RunContext

__all__ = ["Client", "Device", "Failed", "HakkenError", "Result", "RunContext", "parse_results_csv", "pending_of"]
__version__ = "0.1.0"
