"""Device side of protocol v1 over MQTT, with paho-mqtt (devices/sdk/src/device-client.ts, rule for rule).

A device announces itself (retained availability with its capabilities and a
Last Will of ``offline``), sends heartbeats, receives run commands, rejects
those outside its declared limits, runs the others through the handler (at
most ``capacity`` at once), and keeps every result or failure in an outbox that
it re-sends until the service acknowledges it. Duplicated commands (re-sent by
the service, redelivered by the broker) never run an experiment twice, also
across a restart when ``outbox_file`` is set.
"""

from __future__ import annotations

import inspect
import logging
import os
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from .connection import connect_paho
from .outbox import Outbox
from .outcome import RunContext, thrown_to_event, to_event
from .protocol import (MAX_HOLDING, ProtocolError, capabilities_problems, check_parameters, encode, now, parse_command,
                       topic, truncate)

STOP_TIMEOUT_S = 2.0
_REFUSALS = {1: "unsupported protocol version", 2: "client id refused", 3: "server unavailable",
             4: "bad user name or password", 5: "not authorised"}


class _Run:
    def __init__(self, command: dict[str, Any], ctx: RunContext) -> None:
        self.command = command
        self.attempt: int = command["attempt"]
        self.phase = "queued"
        self.ctx = ctx


class Device:
    """A rig on hakken. Give it a handler ``run(params) -> value`` (or ``run(params, ctx)``), then ``serve_forever()``.

    The handler returns the objective's value (a number; None when the instrument read
    nothing), a mapping of measured values, or a :class:`Result`; it raises (or returns)
    :class:`Failed` when the experiment failed. Any other exception fails it with scope
    ``device`` (the service retries it elsewhere).
    """

    def __init__(self, url: str | None = None, *, device_id: str, kind: str, run: Callable[..., Any] | None = None,
                 objective: str = "y", parameters: dict[str, dict[str, Any]] | None = None,
                 capabilities: dict[str, Any] | None = None, capacity: int = 1, heartbeat_interval_s: float = 10.0,
                 resend_interval_s: float = 1.0, outbox_file: str | None = None, remember_completed: int = 10_000,
                 username: str | None = None, password: str | None = None, logger: logging.Logger | None = None,
                 heartbeat_holding: bool = True, mqtt_client: Any = None) -> None:
        self.url = url or os.environ.get("MQTT_URL", "mqtt://127.0.0.1:1883")
        self.device_id = device_id
        self.kind = kind
        self.objective = objective
        self._topics = {k: topic(device_id, k) for k in ("availability", "commands", "events", "heartbeat")}
        if capabilities is None:
            capabilities = {"objectives": [objective], **({"parameters": parameters} if parameters else {})}
        problems = []
        if not (isinstance(capacity, int) and capacity >= 1):
            problems.append(f"capacity must be a positive integer, got {capacity}")
        if not resend_interval_s > 0:
            problems.append(f"resend_interval_s must be positive, got {resend_interval_s}")
        if not 0.1 <= heartbeat_interval_s <= 3600:
            problems.append(f"heartbeat_interval_s must be within [0.1, 3600], got {heartbeat_interval_s}")
        problems += [f"capabilities: {p}" for p in capabilities_problems(capabilities)]
        if problems:
            raise ValueError(f"invalid options of device {device_id}: {'; '.join(problems)}")
        self.capabilities = capabilities
        self.capacity = capacity
        self.heartbeat_interval_s = heartbeat_interval_s
        self.resend_interval_s = resend_interval_s
        # Heartbeats list the held experiments only where the service knows the field: one that does
        # not refuses the whole heartbeat (its schema is strict), and would take the device as silent.
        self.heartbeat_holding = heartbeat_holding
        self._username, self._password = username, password
        self._logger = logger or logging.getLogger(f"hakken.device.{device_id}")
        self._outbox = Outbox(outbox_file, self._log, remember_completed)
        self._outbox_file = outbox_file
        self._handler = run
        self._client = mqtt_client
        self._lock = threading.RLock()
        self._active: dict[str, _Run] = {}
        #: Answers to abort/stop/resume by commandId; experiments aborted (with the attempt); why the device is stopped.
        self._answers: dict[str, dict[str, Any]] = {}
        self._aborted_runs: dict[str, int] = {}
        self._halted: str | None = None
        self._running = 0
        self._executor: ThreadPoolExecutor | None = None
        self._state = "new"
        self._link_up = False
        self._connection_error_logged = False
        self._ready = threading.Event()
        self._refused: str | None = None
        self._stopping = threading.Event()
        self._ticker: threading.Thread | None = None
        self.stats = {k: 0 for k in ("runsStarted", "runsFinished", "duplicatesIgnored", "resultsResent", "acksReceived",
                                     "acksIgnored", "malformedIgnored", "connects", "rejected", "heartbeatsSent")}

    def handler(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Decorator: ``@device.handler`` over ``def run(params): ...``."""
        self._handler = fn
        return fn

    @property
    def connected(self) -> bool:
        return self._link_up

    @property
    def outbox_size(self) -> int:
        """Results and failures not yet acknowledged by the service."""
        return len(self._outbox)

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self, timeout_s: float | None = 30.0) -> None:
        """Loads the outbox, connects, and returns once subscribed and announced online. Raises if the
        broker refuses the device (credentials, subscription) or it is not ready within timeout_s (None:
        waits as long as it takes; an unreachable broker is retried)."""
        if self._state != "new":
            raise RuntimeError(f"device {self.device_id}: start() called twice")
        if self._handler is None:
            raise RuntimeError(f"device {self.device_id}: no handler (pass run=... or decorate one with @device.handler)")
        self._state = "started"
        loaded = self._outbox.load()
        if loaded:
            self._log("info", f"loaded {loaded} unacknowledged event(s) from {self._outbox_file}")
        self._executor = ThreadPoolExecutor(max_workers=self.capacity, thread_name_prefix=f"hakken-{self.device_id}")
        if self._client is None:
            self._client = self._connect_paho()
        self._ticker = threading.Thread(target=self._tick, name=f"hakken-{self.device_id}-ticker", daemon=True)
        self._ticker.start()
        if not self._ready.wait(timeout_s) or self._refused:
            why = self._refused or f"device {self.device_id} not connected to {self.url} within {timeout_s} s"
            self.stop()
            raise ConnectionError(why)

    def stop(self) -> None:
        """Publishes offline (retained), cancels running handlers and disconnects. Idempotent."""
        with self._lock:
            if self._state != "started":
                self._state = "stopped"
                return
            self._state = "stopped"
            runs = list(self._active.values())
        self._stopping.set()
        for run in runs:
            run.ctx.cancelled.set()
        if self._executor:
            self._executor.shutdown(wait=False, cancel_futures=True)
        client = self._client
        if self._link_up:
            info = client.publish(self._topics["availability"], encode({"v": 1, "status": "offline", "ts": now()}), qos=1, retain=True)
            try:
                info.wait_for_publish(STOP_TIMEOUT_S)
            except (RuntimeError, ValueError) as err:
                self._log("warning", f"could not publish offline: {err}")
        client.disconnect()
        if hasattr(client, "loop_stop"):
            client.loop_stop()

    def serve_forever(self) -> None:
        """Starts (waiting for the broker as long as it takes), runs until SIGTERM or Ctrl-C, then stops
        (publishing offline). Raises ConnectionError if the broker refuses the device."""

        def terminate(*_: Any) -> None:
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, terminate)
        try:
            self.start(timeout_s=None)
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            self.stop()

    # -- MQTT ------------------------------------------------------------------------------------

    def _connect_paho(self) -> Any:
        return connect_paho(self.url, f"hakken-device-{self.device_id}", self._topics["availability"], self._username,
                            self._password, self._on_connect, self._on_subscribe, self._on_message, self._on_disconnect,
                            self._on_connect_fail)

    def _on_connect_fail(self, _client: Any, _userdata: Any) -> None:
        if not self._connection_error_logged:  # one line per outage, not one per reconnect attempt
            self._connection_error_logged = True
            self._log("error", f"cannot reach the broker at {self.url}; retrying")

    def _on_connect(self, client: Any, _userdata: Any, _flags: Any, rc: int) -> None:
        if rc != 0:
            self._refused = f"broker {self.url} refused device {self.device_id}: {_REFUSALS.get(rc, f'code {rc}')}"
            self._log("error", self._refused)
            self._ready.set()
            return
        try:  # small QoS 1 writes otherwise wait on Nagle + delayed ACK
            client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (AttributeError, OSError):
            pass
        self.stats["connects"] += 1
        self._connection_error_logged = False
        self._link_up = True
        self._log("info", f"connected to {self.url} as hakken-device-{self.device_id}")
        # Subscribe first: "online" then means commands are received, and acks of re-sent results are not missed.
        client.subscribe(self._topics["commands"], qos=1)

    def _on_disconnect(self, _client: Any, _userdata: Any, rc: int) -> None:
        if self._link_up and self._state == "started":
            self._log("warning", "disconnected from the broker; reconnecting")
        self._link_up = False

    def _on_subscribe(self, _client: Any, _userdata: Any, _mid: int, granted_qos: Any) -> None:
        code = granted_qos[0] if granted_qos else 0
        if code >= 0x80:
            self._refused = f"broker {self.url} refused the subscription of device {self.device_id} to {self._topics['commands']}"
            self._log("error", self._refused)
            self._ready.set()
            return
        online = {"v": 1, "status": "online", "ts": now(), "kind": self.kind, "capacity": self.capacity,
                  "heartbeatIntervalS": self.heartbeat_interval_s, "capabilities": self.capabilities, **self._holding(announcing=True)}
        self._publish(self._topics["availability"], online, retain=True)
        self._send_heartbeat()
        for event in self._outbox.events():
            self._publish_final(event)
        self._ready.set()

    def _holding(self, announcing: bool) -> dict[str, list[str]]:
        """What the device holds now (as it (re)connects, and in heartbeats where enabled): queued and running
        experiments and finished ones whose report is not acknowledged. The service keeps these here and sends
        any other it had here elsewhere. A run leaves the active runs and enters the outbox under one lock."""
        with self._lock:
            ids = list(dict.fromkeys([*self._active, *(e["experimentId"] for e in self._outbox.events())]))
        if len(ids) > MAX_HOLDING:
            # In a heartbeat, no list: the service learns nothing from it (rather than taking them as lost).
            if announcing:
                self._log("warning", f"holding {len(ids)} experiments, more than one message lists ({MAX_HOLDING}): "
                                     "the service will take them as lost")
            return {}
        return {"holding": ids}

    def _on_message(self, _client: Any, _userdata: Any, msg: Any) -> None:
        try:
            if msg.topic != self._topics["commands"]:
                self.stats["malformedIgnored"] += 1
                self._log("warning", f"ignoring a message on unexpected topic {msg.topic}")
                return
            try:
                command = parse_command(msg.payload)
            except ProtocolError as err:
                self.stats["malformedIgnored"] += 1
                self._log("warning", f"ignoring a malformed command: {err}")
                return
            with self._lock:
                if command["type"] == "run":
                    self._on_run(command)
                elif command["type"] == "ack":
                    self._on_ack(command)
                else:
                    self._on_control(command)
        except Exception:  # a bug here must not kill paho's network thread
            self._logger.exception("error while handling a command")

    # -- commands (called with the lock held) ----------------------------------------------------

    def _on_control(self, command: dict[str, Any]) -> None:
        """abort, stop, resume: done once per commandId and answered with a command_ack (a re-sent one is answered again)."""
        answers = self._answers
        done = answers.get(command["commandId"])
        if done is None:
            kind = command["type"]
            if kind == "abort":
                detail = self._abort_run(command["experimentId"], command.get("attempt", 0), f"aborted by the service: {command['reason']}")
            elif kind == "stop":
                self._halted = command["reason"]
                held = list(self._active)
                for eid in held:
                    self._abort_run(eid, 0, f"the device was stopped: {command['reason']}")
                detail = f"stopped; aborted {len(held)} experiment(s)"
            else:
                self._halted = None
                detail = "resumed"
            done = {"v": 1, "type": "command_ack", "commandId": command["commandId"], "status": "ok", "detail": detail}
            if kind == "abort":
                done["experimentId"] = command["experimentId"]
            if len(answers) >= 1000:
                answers.pop(next(iter(answers)))
            answers[command["commandId"]] = done
        self._publish_event({**done, "ts": now()})

    def _abort_run(self, eid: str, attempt: int, reason: str) -> str:
        """Aborts an experiment held here: its handler's ctx.aborted and ctx.cancelled are set; its outcome is never reported."""
        aborted = self._aborted_runs
        run = self._active.pop(eid, None)
        aborted[eid] = max(attempt or 0, run.attempt if run else 0, aborted.get(eid, 0))
        if run is None:
            return "not holding it"
        self.stats["aborted"] = self.stats.get("aborted", 0) + 1
        run.ctx.abort_reason = reason
        run.ctx.aborted.set()
        run.ctx.cancelled.set()
        self._log("info", f"{eid}: {reason}")
        return "aborted before it started" if run.phase == "queued" else "aborted: its handler was told (ctx.aborted)"

    def _on_run(self, command: dict[str, Any]) -> None:
        eid = command["experimentId"]
        if command["attempt"] <= self._aborted_runs.get(eid, 0):
            self.stats["duplicatesIgnored"] += 1
            self._log("debug", f"{eid}: run command for an aborted experiment ignored")
            return
        if self._halted is not None:
            self.stats["rejected"] += 1
            self._publish_event({"v": 1, "type": "rejected", "experimentId": eid, "attempt": command["attempt"], "ts": now(),
                                 "reason": truncate(f"the device is stopped: {self._halted}")})
            return
        active = self._active.get(eid)
        if active:
            self.stats["duplicatesIgnored"] += 1
            if command["attempt"] > active.attempt:
                self._log("info", f"{eid}: re-dispatched as attempt {command['attempt']} while {active.phase}; keeping the current run")
                active.attempt = active.ctx.attempt = command["attempt"]
            self._publish_event({"v": 1, "type": "accepted", "experimentId": eid, "attempt": active.attempt, "ts": now()})
            return
        final = self._outbox.get(eid)
        finished = final.get("attempt", 1) if final else self._outbox.acked_attempt(eid)
        if finished is not None:
            if command["attempt"] <= finished:
                self.stats["duplicatesIgnored"] += 1
                self._log("debug", f"{eid}: duplicate run command (already finished)")
                self._publish_event({"v": 1, "type": "accepted", "experimentId": eid, "attempt": finished, "ts": now()})
                if final:
                    self._publish_final(final)
                return
            # The service explicitly re-dispatched a finished experiment: run it again.
            self._log("info", f"{eid}: re-dispatched as attempt {command['attempt']} after attempt {finished} finished; running again")
            self._outbox.forget(eid)
        problem = check_parameters(command["params"], self.capabilities)
        if problem:
            self.stats["rejected"] += 1
            self._log("warning", f"{eid}: rejected: {problem}")
            self._publish_event({"v": 1, "type": "rejected", "experimentId": eid, "attempt": command["attempt"], "ts": now(),
                                 "reason": truncate(problem)})
            return
        run = _Run(command, RunContext(command, self._publish_event, self._log))
        self._active[eid] = run
        self._publish_event({"v": 1, "type": "accepted", "experimentId": eid, "attempt": command["attempt"], "ts": now()})
        if self._state == "started" and self._executor is not None:
            self._executor.submit(self._execute, run)

    def _on_ack(self, ack: dict[str, Any]) -> None:
        eid = ack["experimentId"]
        event = self._outbox.get(eid)
        if event is None:
            self.stats["acksIgnored"] += 1
            self._log("debug", f"{eid}: ack for nothing in the outbox (duplicate?)")
            return
        if ack.get("attempt") is not None and ack["attempt"] != event.get("attempt", 1):
            # A late ack of another attempt must not clear this attempt's report.
            self.stats["acksIgnored"] += 1
            self._log("debug", f"{eid}: ack of attempt {ack['attempt']} ignored, the outbox holds attempt {event.get('attempt', 1)}")
            return
        self._outbox.acknowledge(eid)
        self.stats["acksReceived"] += 1
        if ack["status"] == "error":
            error = ack.get("error")
            why = f"{error.get('code')}: {error.get('message')}" if isinstance(error, dict) else "no reason given"
            self._log("error", f"{eid}: the service refused the {event['type']} event ({why}); not re-sending it")
        else:
            self._log("debug", f"{eid}: {event['type']} acknowledged")

    # -- runs ------------------------------------------------------------------------------------

    def _execute(self, run: _Run) -> None:
        with self._lock:
            if self._state != "started" or run.ctx.aborted.is_set():
                return
            run.phase = "running"
            self._running += 1
            self.stats["runsStarted"] += 1
        params = dict(run.command["params"])
        try:
            outcome = self._call(params, run.ctx)
            event = to_event(self._base(run), outcome, self.objective)
        except Exception as err:  # any exception of the handler is the rig's failure
            event = thrown_to_event(self._base(run), err)
        with self._lock:
            self._running -= 1
            self.stats["runsFinished"] += 1
            if run.ctx.aborted.is_set():
                self._log("info", f"{run.command['experimentId']}: the aborted run ended; its outcome is not reported")
                return
            self._active.pop(run.command["experimentId"], None)
            what = f"result {event['values']}" if event["type"] == "result" else f"failed ({event['scope']}): {event['reason']}"
            self._log("info", f"{event['experimentId']}: {what}")
            self._outbox.add(event)  # on disk before it leaves the device
            self._publish_final(event)

    def _call(self, params: dict[str, Any], ctx: RunContext) -> Any:
        fn = self._handler
        assert fn is not None
        try:
            takes_ctx = len(inspect.signature(fn).parameters) >= 2
        except (TypeError, ValueError):
            takes_ctx = False
        return fn(params, ctx) if takes_ctx else fn(params)

    @staticmethod
    def _base(run: _Run) -> dict[str, Any]:
        return {"v": 1, "experimentId": run.command["experimentId"], "attempt": run.attempt, "ts": now()}

    # -- publishing ------------------------------------------------------------------------------

    def _tick(self) -> None:
        """Re-sends unacknowledged results and sends heartbeats, until stop()."""
        step = max(0.02, self.resend_interval_s / 4)
        next_heartbeat = time.monotonic() + self.heartbeat_interval_s
        while not self._stopping.wait(step):
            self._resend_due()
            if time.monotonic() >= next_heartbeat:
                next_heartbeat = time.monotonic() + self.heartbeat_interval_s
                self._send_heartbeat()

    def _send_heartbeat(self) -> None:
        if not self._link_up or self._state != "started":
            return
        with self._lock:
            heartbeat = {"v": 1, "ts": now(), "running": self._running, "queued": len(self._active) - self._running,
                         **(self._holding(announcing=False) if self.heartbeat_holding else {})}
        self.stats["heartbeatsSent"] += 1
        # QoS 0: a lost heartbeat is replaced by the next one; nothing piles up while disconnected.
        self._client.publish(self._topics["heartbeat"], encode(heartbeat), qos=0, retain=False)

    def _resend_due(self) -> None:
        if not self._link_up or self._state != "started":
            return
        for event in self._outbox.due(time.monotonic(), self.resend_interval_s):
            self._publish_final(event)

    def _publish_final(self, event: dict[str, Any]) -> None:
        if not self._link_up or self._state != "started":
            return  # sent on the next (re)connect
        if not self._outbox.has(event["experimentId"]):
            return  # acknowledged meanwhile
        if self._outbox.mark_sent(event["experimentId"], time.monotonic()):
            self.stats["resultsResent"] += 1
        self._publish_event(event)

    def _publish_event(self, event: dict[str, Any]) -> None:
        self._publish(self._topics["events"], event, retain=False)

    def _publish(self, topic_: str, message: dict[str, Any], retain: bool) -> None:
        if self._client is None or self._state != "started":
            return
        try:
            payload = encode(message)
        except ValueError as err:
            self._log("error", f"{message.get('experimentId', topic_)}: refusing to send an invalid payload: {err}")
            return
        self._client.publish(topic_, payload, qos=1, retain=retain)

    def _log(self, level: str, message: str) -> None:
        self._logger.log(getattr(logging, level.upper(), logging.INFO), message)
