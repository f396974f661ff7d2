"""Final events kept until the service acknowledges them (devices/sdk/src/outbox.ts).

The file format is the TypeScript SDK's: ``{"v": 1, "events": [...], "acked":
[{"experimentId", "attempt"}]}``, written to a temporary file and renamed, so a
crash never leaves a half-written outbox.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import OrderedDict
from typing import Any, Callable

FinalEvent = dict[str, Any]
Log = Callable[[str, str], None]


class Outbox:
    """Results and failures waiting for their ack, and the bounded list of acknowledged ids
    (so a late duplicate command, also after a restart, is answered instead of run again)."""

    def __init__(self, file: str | None = None, log: Log | None = None, remember_acked: int = 10_000) -> None:
        self._file = file
        self._log = log or (lambda level, message: logging.getLogger("hakken.device").log(getattr(logging, level.upper()), message))
        self._remember = remember_acked
        self._entries: OrderedDict[str, tuple[FinalEvent, float]] = OrderedDict()  # id -> (event, last sent at; 0 = never)
        self._acked: OrderedDict[str, int] = OrderedDict()  # id -> attempt, oldest first
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self._entries)

    def has(self, experiment_id: str) -> bool:
        return experiment_id in self._entries

    def get(self, experiment_id: str) -> FinalEvent | None:
        entry = self._entries.get(experiment_id)
        return entry[0] if entry else None

    def events(self) -> list[FinalEvent]:
        with self._lock:
            return [event for event, _ in self._entries.values()]

    def acked_attempt(self, experiment_id: str) -> int | None:
        """The attempt of an acknowledged experiment still remembered, else None."""
        return self._acked.get(experiment_id)

    def add(self, event: FinalEvent) -> None:
        """Adds (or replaces) an event; on disk before this returns when a file is configured."""
        with self._lock:
            self._entries[event["experimentId"]] = (event, 0.0)
            self._persist()

    def acknowledge(self, experiment_id: str) -> bool:
        """Moves an event into the acknowledged list; False when it was not there."""
        with self._lock:
            entry = self._entries.pop(experiment_id, None)
            if entry is None:
                return False
            self._remember_acked(experiment_id, entry[0].get("attempt", 1))
            self._persist()
            return True

    def forget(self, experiment_id: str) -> None:
        """Forgets an experiment entirely (the service re-dispatched it with a higher attempt)."""
        with self._lock:
            removed = self._entries.pop(experiment_id, None) is not None
            if self._acked.pop(experiment_id, None) is not None or removed:
                self._persist()

    def due(self, now_s: float, interval_s: float) -> list[FinalEvent]:
        """Events not sent within the last interval."""
        with self._lock:
            return [event for event, sent in self._entries.values() if now_s - sent >= interval_s]

    def mark_sent(self, experiment_id: str, now_s: float) -> bool:
        """Records a publish; True when the event had been sent before (a re-send)."""
        with self._lock:
            entry = self._entries.get(experiment_id)
            if entry is None:
                return False
            self._entries[experiment_id] = (entry[0], now_s)
            return entry[1] > 0

    def load(self) -> int:
        """Loads the persisted outbox; a missing file is empty, an unreadable one is moved to <file>.corrupt."""
        if not self._file:
            return 0
        try:
            with open(self._file, encoding="utf-8") as f:
                text = f.read()
        except FileNotFoundError:
            return 0
        try:
            data = json.loads(text)
        except ValueError as err:
            return self._quarantine(f"not JSON ({err})")
        if not (isinstance(data, dict) and data.get("v") == 1 and isinstance(data.get("events"), list)
                and isinstance(data.get("acked", []), list)):
            return self._quarantine("not an outbox file of version 1")
        loaded = 0
        with self._lock:
            for raw in data["events"]:
                if _is_final_event(raw):
                    self._entries[raw["experimentId"]] = (raw, 0.0)
                    loaded += 1
                else:
                    self._log("warning", f"outbox file {self._file}: dropping an invalid entry {json.dumps(raw)[:200]}")
            for raw in data.get("acked", []):
                if isinstance(raw, dict) and isinstance(raw.get("experimentId"), str) and raw["experimentId"] \
                        and isinstance(raw.get("attempt"), int) and raw["attempt"] >= 1:
                    self._remember_acked(raw["experimentId"], raw["attempt"])
                else:
                    self._log("warning", f"outbox file {self._file}: dropping an invalid acknowledged entry {json.dumps(raw)[:200]}")
        return loaded

    def _remember_acked(self, experiment_id: str, attempt: int) -> None:
        self._acked.pop(experiment_id, None)
        self._acked[experiment_id] = attempt
        while len(self._acked) > self._remember:
            self._acked.popitem(last=False)

    def _quarantine(self, why: str) -> int:
        file = self._file or ""
        self._log("error", f"outbox file {file} is unreadable ({why}); moved to {file}.corrupt, starting with an empty outbox")
        os.replace(file, f"{file}.corrupt")
        return 0

    def _persist(self) -> None:
        if not self._file:
            return
        snapshot = {
            "v": 1,
            "events": self.events(),
            "acked": [{"experimentId": i, "attempt": a} for i, a in self._acked.items()],
        }
        tmp = f"{self._file}.tmp"
        try:
            os.makedirs(os.path.dirname(os.path.abspath(self._file)), exist_ok=True)
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(snapshot, f, separators=(",", ":"))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self._file)
        except OSError as err:
            self._log("error", f"cannot write outbox file {self._file}: {err}")


def _is_final_event(raw: Any) -> bool:
    if not isinstance(raw, dict) or raw.get("v") != 1 or not isinstance(raw.get("experimentId"), str):
        return False
    if raw.get("type") == "result":
        return isinstance(raw.get("values"), dict)
    return raw.get("type") == "failed" and raw.get("scope") in ("device", "experiment") and isinstance(raw.get("reason"), str)
