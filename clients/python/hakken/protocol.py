"""Protocol v1 as the device sees it: topics, timestamps, limits and checks.

The contract is the TypeScript library `libs/protocol` (messages.ts, topics.ts,
limits.ts) and `libs/protocol/asyncapi.json`; this module follows it rule for
rule so that a Python device never sends what the service would refuse.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timezone
from typing import Any, Mapping

PROTOCOL_VERSION = 1
TOPIC_ROOT = f"hakken/v{PROTOCOL_VERSION}"
#: Most experiment ids an availability message lists as held; a device holding more sends none.
MAX_HOLDING = 2000
#: Longest reason or message the protocol carries.
MAX_TEXT = 1024
MAX_PAYLOAD_BYTES = 256 * 1024

_DEVICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


class ProtocolError(ValueError):
    """A payload that protocol v1 does not allow (received, or about to be sent)."""


def is_valid_device_id(device_id: str) -> bool:
    return isinstance(device_id, str) and _DEVICE_ID.match(device_id) is not None


def topic(device_id: str, kind: str) -> str:
    if not is_valid_device_id(device_id):
        raise ValueError(f'invalid device id "{device_id}": letters, digits, _ . - (at most 64)')
    return f"{TOPIC_ROOT}/devices/{device_id}/{kind}"


def now() -> str:
    """An ISO 8601 UTC timestamp with milliseconds, as JavaScript's toISOString() writes it."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def truncate(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "\u2026"


def _scrub(value: Any) -> Any:
    # PostgreSQL stores no U+0000: the service refuses it, so it is sent as U+FFFD (as encodeMessage does).
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def encode(message: Mapping[str, Any]) -> bytes:
    """Compact JSON without NaN or Infinity (which JSON cannot carry)."""
    return json.dumps(_scrub(dict(message)), separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _id(x: Any) -> bool:
    return isinstance(x, str) and 1 <= len(x) <= 128


def parse_command(payload: bytes) -> dict[str, Any]:
    """A run, ack, abort, stop or resume command, checked as the service's schema does; raises ProtocolError."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ProtocolError(f"payload of {len(payload)} bytes exceeds the limit of {MAX_PAYLOAD_BYTES}")
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise ProtocolError(f"payload is not JSON: {err}") from None
    if not isinstance(data, dict):
        raise ProtocolError("payload must be a JSON object")
    if data.get("v") != PROTOCOL_VERSION:
        raise ProtocolError(f"unsupported protocol version {data.get('v')!r}: this device speaks v{PROTOCOL_VERSION}")
    kind = data.get("type")
    if kind == "run":
        allowed = {"v", "type", "experimentId", "campaignId", "attempt", "params", "issuedAt"}
        problems = [f"unknown key {k}" for k in data if k not in allowed]
        if not _id(data.get("experimentId")):
            problems.append("experimentId: a string of 1 to 128 characters")
        if not _id(data.get("campaignId")):
            problems.append("campaignId: a string of 1 to 128 characters")
        if not (isinstance(data.get("attempt"), int) and not isinstance(data.get("attempt"), bool) and data["attempt"] >= 1):
            problems.append("attempt: an integer >= 1")
        params = data.get("params")
        if not isinstance(params, dict) or not all(
            isinstance(k, str) and len(k) <= 64 and (_finite(v) or (isinstance(v, str) and len(v) <= 256)) for k, v in params.items()
        ):
            problems.append("params: names to finite numbers or strings")
        if not (isinstance(data.get("issuedAt"), str) and _ISO.match(data["issuedAt"])):
            problems.append("issuedAt: an ISO 8601 timestamp")
    elif kind == "ack":
        allowed = {"v", "type", "experimentId", "attempt", "status", "error"}
        problems = [f"unknown key {k}" for k in data if k not in allowed]
        if not _id(data.get("experimentId")):
            problems.append("experimentId: a string of 1 to 128 characters")
        attempt = data.get("attempt")
        if attempt is not None and not (isinstance(attempt, int) and not isinstance(attempt, bool) and attempt >= 1):
            problems.append("attempt: an integer >= 1")
        if data.get("status") not in ("ok", "error"):
            problems.append('status: "ok" or "error"')
    elif kind in ("abort", "stop", "resume"):
        allowed = {"v", "type", "commandId", "issuedAt"} | ({"experimentId", "attempt", "reason"} if kind == "abort" else set()) | (
            {"reason"} if kind == "stop" else set())
        problems = [f"unknown key {k}" for k in data if k not in allowed]
        if not _id(data.get("commandId")):
            problems.append("commandId: a string of 1 to 128 characters")
        if kind == "abort" and not _id(data.get("experimentId")):
            problems.append("experimentId: a string of 1 to 128 characters")
        if kind != "resume" and not (isinstance(data.get("reason"), str) and 1 <= len(data["reason"]) <= 1024):
            problems.append("reason: a string of 1 to 1024 characters")
    else:
        raise ProtocolError(f'invalid commands payload: type must be "run", "ack", "abort", "stop" or "resume", got {kind!r}')
    if problems:
        raise ProtocolError(f"invalid commands payload: {'; '.join(problems)}")
    return data


def check_values(values: Any) -> str | None:
    """Why a result's values cannot be sent, or None. A non-finite number is the experiment's failure."""
    if not isinstance(values, Mapping):
        return "values must be a mapping of names to numbers"
    if len(values) > 100:
        return "too many values (at most 100)"
    for name, value in values.items():
        if not isinstance(name, str) or len(name) > 64:
            return f"value name {name!r} must be a string of at most 64 characters"
    return None


def check_metadata(metadata: Any) -> str | None:
    if not isinstance(metadata, Mapping):
        return "metadata must be a mapping"
    for name, value in metadata.items():
        if not isinstance(name, str) or len(name) > 64:
            return f"metadata name {name!r} must be a string of at most 64 characters"
        ok = isinstance(value, bool) or _finite(value) or (isinstance(value, str) and len(value) <= 1024)
        if not ok:
            return f"metadata {name}: a string (at most 1024 characters), a finite number or a boolean"
    return None


def _list(items: list[str], shown: int = 12) -> str:
    return ", ".join(items) if len(items) <= shown else f"{', '.join(items[:shown])}, \u2026 {len(items) - shown} more"


def _num(x: float) -> str:
    # JavaScript's String(number): integers without ".0".
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _js(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else _num(value)


def check_parameters(params: Mapping[str, Any], capabilities: Mapping[str, Any] | None) -> str | None:
    """Why a run command breaks the declared limits, or None (libs/protocol limits.ts, devices/sdk limits.ts)."""
    declared = (capabilities or {}).get("parameters")
    if not declared:
        return None
    for name, value in params.items():
        limit = declared.get(name)
        if limit is None:
            return f'unknown parameter "{name}" (this device takes {_list(list(declared))})'
        unit = f" {limit['unit']}" if limit.get("unit") else ""
        choices = limit.get("choices")
        if choices is not None:
            if isinstance(value, str):
                match = value in choices
            else:
                match = any(c.strip() != "" and _float_or_none(c) == value for c in choices)
            if not match:
                return f'parameter "{name}" = {json.dumps(value)} is not one of the allowed choices ({_list([json.dumps(c) for c in choices])})'
            continue
        low, high = limit.get("low"), limit.get("high")
        if low is None and high is None:
            continue
        if isinstance(value, str):
            return f'parameter "{name}" must be a number, got {json.dumps(value)}'
        if low is not None and value < low:
            return f'parameter "{name}" = {_js(value)}{unit} is below the safe limit {_num(low)}{unit}'
        if high is not None and value > high:
            return f'parameter "{name}" = {_js(value)}{unit} is above the safe limit {_num(high)}{unit}'
    return None


def _float_or_none(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def capabilities_problems(capabilities: Mapping[str, Any]) -> list[str]:
    """Every problem with a capabilities declaration, so a misconfigured device does not start."""
    problems: list[str] = []
    unknown = set(capabilities) - {"parameters", "objectives", "description"}
    problems += [f"unknown key {k}" for k in sorted(unknown)]
    for name, limit in (capabilities.get("parameters") or {}).items():
        extra = set(limit) - {"low", "high", "choices", "unit"}
        problems += [f"parameters.{name}: unknown key {k}" for k in sorted(extra)]
        low, high, choices = limit.get("low"), limit.get("high"), limit.get("choices")
        for bound in ("low", "high"):
            if limit.get(bound) is not None and not _finite(limit[bound]):
                problems.append(f"parameters.{name}.{bound}: a finite number")
        if _finite(low) and _finite(high) and low > high:
            problems.append(f"parameters.{name}: low ({_num(low)}) exceeds high ({_num(high)})")
        if choices is not None and (low is not None or high is not None):
            problems.append(f"parameters.{name}: give either choices or low/high, not both")
        if choices is not None and len(choices) == 0:
            problems.append(f"parameters.{name}: choices is empty")
    return problems
