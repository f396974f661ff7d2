"""What a run handler returned, as the final event the service stores (devices/sdk/src/outcome.ts)."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from .protocol import check_metadata, check_values, now, truncate


class Failed(Exception):
    """Raise (or return) from a run handler when the experiment could not be completed.

    ``scope="experiment"`` (the default): the condition failed, e.g. no product formed;
    the optimizer learns from it. ``scope="device"``: the rig failed; the service
    retries the experiment elsewhere and does not learn from it.
    """

    def __init__(self, reason: str, scope: str = "experiment") -> None:
        if scope not in ("experiment", "device"):
            raise ValueError(f'scope must be "experiment" or "device", got {scope!r}')
        super().__init__(reason)
        self.reason = reason
        self.scope = scope


@dataclass
class Result:
    """Measured values by name (None: the instrument read nothing), with optional metadata."""

    values: Mapping[str, float | None]
    metadata: Mapping[str, str | float | bool] = field(default_factory=dict)


class RunContext:
    """What a handler that takes two arguments gets besides the parameters."""

    def __init__(self, command: Mapping[str, Any], publish: Callable[[dict[str, Any]], None], log: Callable[[str, str], None]) -> None:
        self.experiment_id: str = command["experimentId"]
        self.campaign_id: str = command["campaignId"]
        #: The dispatch attempt served (the latest seen if the service re-dispatched while it ran).
        self.attempt: int = command["attempt"]
        #: Set when the device stops, or the service aborts the experiment or stops the device: long runs
        #: should check it and give up (what the handler returns after an abort is not reported).
        self.cancelled = threading.Event()
        #: Set (with ``abort_reason``) when the service aborted this experiment or stopped the device.
        self.aborted = threading.Event()
        self.abort_reason: str | None = None
        self._publish = publish
        self._log = log

    def progress(self, fraction: float, message: str | None = None) -> None:
        """Publishes a progress event; the fraction is clamped to [0, 1]."""
        f = min(1.0, max(0.0, float(fraction))) if _finite(fraction) else 0.0
        event: dict[str, Any] = {"v": 1, "type": "progress", "experimentId": self.experiment_id, "attempt": self.attempt,
                                 "ts": now(), "fraction": f}
        if message is not None:
            event["message"] = truncate(str(message))
        self._publish(event)

    def log(self, level: str, message: str) -> None:
        self._log(level, f"{self.experiment_id}: {message}")


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _js_string(x: Any) -> str:
    if isinstance(x, float):
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "Infinity" if x > 0 else "-Infinity"
    return str(x)


def to_event(base: dict[str, Any], outcome: Any, objective: str) -> dict[str, Any]:
    """A valid result or failed event from a handler's return value. A non-finite measurement fails the
    experiment (not the campaign); an outcome the protocol cannot carry is a device failure."""

    def fail(scope: str, reason: str) -> dict[str, Any]:
        return {**base, "type": "failed", "scope": scope, "reason": truncate(reason or "no reason given")}

    if isinstance(outcome, Failed):
        return fail(outcome.scope, outcome.reason)
    metadata: Mapping[str, Any] = {}
    if isinstance(outcome, Result):
        values, metadata = outcome.values, outcome.metadata
    elif outcome is None or (isinstance(outcome, (int, float)) and not isinstance(outcome, bool)):
        values = {objective: outcome}
    elif isinstance(outcome, Mapping):
        values = outcome
    else:
        return fail("device", "handler returned neither values nor failed")
    problem = check_values(values)
    if problem:
        return fail("device", f"handler returned an invalid result: {problem}")
    for name, value in values.items():
        if value is not None and not _finite(value):
            return fail("experiment", f'measurement "{name}" is not a finite number ({_js_string(value)})')
    if metadata:
        problem = check_metadata(metadata)
        if problem:
            return fail("device", f"handler returned an invalid result: {problem}")
    event = {**base, "type": "result", "values": {k: (None if v is None else float(v) if isinstance(v, float) else v) for k, v in values.items()}}
    if metadata:
        event["metadata"] = dict(metadata)
    return event


def thrown_to_event(base: dict[str, Any], err: BaseException) -> dict[str, Any]:
    """A handler that raised (anything but Failed) is a device-scope failure."""
    if isinstance(err, Failed):
        return to_event(base, err, "")
    return {**base, "type": "failed", "scope": "device", "reason": truncate(f"handler threw: {err}")}
