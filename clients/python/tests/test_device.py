"""The device's side of protocol v1 without a broker: what it publishes for each command it gets."""

import json
import math
import os
import sys
import tempfile
import threading
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fakes import FakeMqtt, ack, connect, run_command, send, until  # noqa: E402
from hakken import Device, Failed, Result  # noqa: E402

LIMITS = {"x": {"low": 0, "high": 10, "unit": "mL"}, "solvent": {"choices": ["DMA", "NMP", "105"]}}


class DeviceCase(unittest.TestCase):
    def make(self, run, **options):
        self.fake = FakeMqtt()
        options.setdefault("resend_interval_s", 60)  # re-sends only where a test asks for them
        device = Device("mqtt://broker", device_id="rig-1", kind="test-rig", run=run, mqtt_client=self.fake, **options)
        connect(device, self.fake)
        self.addCleanup(device.stop)
        return device


class Announcing(DeviceCase):
    def test_subscribes_then_announces_itself_online_retained_with_its_capabilities(self):
        device = self.make(lambda p: 1.0, parameters=LIMITS, capacity=2, heartbeat_interval_s=5)
        self.assertEqual(self.fake.subscriptions, [("hakken/v1/devices/rig-1/commands", 1)])
        [(online, qos, retain)] = self.fake.on("/availability")
        self.assertEqual((qos, retain), (1, True))
        self.assertEqual(online["status"], "online")
        self.assertEqual(online["kind"], "test-rig")
        self.assertEqual(online["capacity"], 2)
        self.assertEqual(online["heartbeatIntervalS"], 5)
        self.assertEqual(online["capabilities"], {"objectives": ["y"], "parameters": LIMITS})
        self.assertEqual(online["holding"], [])
        [(heartbeat, qos, _)] = self.fake.on("/heartbeat")
        self.assertEqual((heartbeat["running"], heartbeat["queued"], heartbeat["holding"], qos), (0, 0, [], 0))
        device.stop()
        offline, qos, retain = self.fake.on("/availability")[-1]
        self.assertEqual((offline["status"], qos, retain), ("offline", 1, True))

    def test_heartbeats_leave_the_list_out_for_an_older_service(self):
        device = self.make(lambda p: 1.0, heartbeat_holding=False)
        [(heartbeat, _, _)] = self.fake.on("/heartbeat")
        self.assertNotIn("holding", heartbeat)
        device.stop()

    def test_heartbeats_list_the_held_experiments(self):
        gate = threading.Event()
        device = self.make(lambda p: gate.wait(5) and 1.0, capacity=2)
        send(device, run_command("e1"))
        until(lambda: device._running == 1, what="the run")
        device._send_heartbeat()
        heartbeat = self.fake.on("/heartbeat")[-1][0]
        self.assertEqual((heartbeat["running"], heartbeat["holding"]), (1, ["e1"]))
        gate.set()
        until(lambda: device.outbox_size == 1, what="the result")
        device._send_heartbeat()
        self.assertEqual(self.fake.on("/heartbeat")[-1][0]["holding"], ["e1"])  # finished, not acknowledged
        send(device, ack("e1"))
        device._send_heartbeat()
        self.assertEqual(self.fake.on("/heartbeat")[-1][0]["holding"], [])

    def test_refuses_invalid_settings_naming_each(self):
        with self.assertRaisesRegex(ValueError, r"capacity must be a positive integer.*low \(5\) exceeds high \(1\)"):
            Device(device_id="rig-1", kind="k", run=abs, capacity=0, parameters={"x": {"low": 5, "high": 1}})
        with self.assertRaisesRegex(ValueError, "invalid device id"):
            Device(device_id="rig/1", kind="k", run=abs)


class Running(DeviceCase):
    def test_accepts_runs_and_reports_the_value_under_the_objective_name(self):
        device = self.make(lambda p: p["x"] * 2, objective="yield")
        send(device, run_command("e1", x=1.5))
        result = until(lambda: self.fake.events("result"), what="a result")[0]
        self.assertEqual([e["type"] for e in self.fake.events()][:2], ["accepted", "result"])
        self.assertEqual(result["values"], {"yield": 3.0})
        self.assertEqual((result["experimentId"], result["attempt"]), ("e1", 1))

    def test_outcomes_become_results_or_failures_with_their_scope(self):
        def rig(params):
            kind = params["solvent"]
            if kind == "fail":
                raise Failed("no product")
            if kind == "device":
                return Failed("pump jammed", scope="device")
            if kind == "boom":
                raise RuntimeError("serial port closed")
            if kind == "nan":
                return math.nan
            if kind == "none":
                return None
            if kind == "text":
                return "oops"
            return Result({"y": 1.0, "purity": 0.9}, {"file": "run-7.csv"})

        device = self.make(rig)
        for i, kind in enumerate(["fail", "device", "boom", "nan", "none", "text", "ok"]):
            send(device, run_command(f"e{i}", solvent=kind))
        until(lambda: len(self.fake.events("result")) + len(self.fake.events("failed")) == 7, what="seven outcomes")
        final = {e["experimentId"]: e for e in self.fake.events() if e["type"] in ("result", "failed")}
        self.assertEqual((final["e0"]["scope"], final["e0"]["reason"]), ("experiment", "no product"))
        self.assertEqual((final["e1"]["scope"], final["e1"]["reason"]), ("device", "pump jammed"))
        self.assertEqual((final["e2"]["scope"], final["e2"]["reason"]), ("device", "handler threw: serial port closed"))
        self.assertEqual((final["e3"]["scope"], final["e3"]["reason"]), ("experiment", 'measurement "y" is not a finite number (NaN)'))
        self.assertEqual(final["e4"]["values"], {"y": None})
        self.assertEqual((final["e5"]["scope"], final["e5"]["reason"]), ("device", "handler returned neither values nor failed"))
        self.assertEqual(final["e6"]["values"], {"y": 1.0, "purity": 0.9})
        self.assertEqual(final["e6"]["metadata"], {"file": "run-7.csv"})

    def test_rejects_a_command_outside_the_declared_limits_without_running_it(self):
        ran = []
        device = self.make(lambda p: ran.append(p) or 1.0, parameters=LIMITS)
        send(device, run_command("e1", x=12.5, solvent="DMA"))
        send(device, run_command("e2", x=1, solvent="water"))
        send(device, run_command("e3", x=1, temperature=80))
        send(device, run_command("e4", x=1, solvent=105))
        until(lambda: self.fake.events("result"), what="the result of e4")
        reasons = {e["experimentId"]: e["reason"] for e in self.fake.events("rejected")}
        self.assertEqual(reasons, {
            "e1": 'parameter "x" = 12.5 mL is above the safe limit 10 mL',
            "e2": 'parameter "solvent" = "water" is not one of the allowed choices ("DMA", "NMP", "105")',
            "e3": 'unknown parameter "temperature" (this device takes x, solvent)',
        })
        self.assertEqual(ran, [{"x": 1, "solvent": 105}])
        self.assertEqual(device.stats["rejected"], 3)

    def test_progress_and_context(self):
        def rig(params, ctx):
            ctx.progress(1.7, "heating")
            return float(ctx.attempt)

        device = self.make(rig)
        send(device, run_command("e1", attempt=2))
        until(lambda: self.fake.events("result"), what="a result")
        [progress] = self.fake.events("progress")
        self.assertEqual((progress["fraction"], progress["message"], progress["attempt"]), (1, "heating", 2))

    def test_ignores_malformed_commands(self):
        device = self.make(lambda p: 1.0)
        send(device, {"v": 2, "type": "run"})
        send(device, {**run_command("e1"), "extra": 1})
        self.assertEqual(device.stats["malformedIgnored"], 2)
        self.assertEqual(self.fake.events(), [])


class Deduplication(DeviceCase):
    def blocked_rig(self):
        gate, calls = threading.Event(), []

        def rig(params):
            calls.append(params)
            gate.wait(5)
            return 1.0

        return rig, gate, calls

    def test_a_command_resent_while_running_is_answered_accepted_and_not_run_again(self):
        rig, gate, calls = self.blocked_rig()
        device = self.make(rig)
        send(device, run_command("e1"))
        until(lambda: calls, what="the run")
        send(device, run_command("e1"))
        send(device, run_command("e1", attempt=2))
        gate.set()
        result = until(lambda: self.fake.events("result"), what="a result")[0]
        self.assertEqual(len(calls), 1)
        self.assertEqual([e["attempt"] for e in self.fake.events("accepted")], [1, 1, 2])
        self.assertEqual(result["attempt"], 2)  # the latest attempt seen while it ran
        self.assertEqual(device.stats["duplicatesIgnored"], 2)

    def test_an_abort_tells_the_handler_is_acknowledged_once_and_its_outcome_is_never_reported(self):
        seen = []

        def rig(params, ctx):
            ctx.aborted.wait(5)
            seen.append(ctx.abort_reason)
            return 1.0

        device = self.make(rig)
        send(device, run_command("e1"))
        until(lambda: device._running == 1, what="the run")
        abort = {"v": 1, "type": "abort", "commandId": "c1", "experimentId": "e1", "reason": "wrong reagent", "issuedAt": "2026-12-07T10:00:00Z"}
        send(device, abort)
        send(device, abort)  # re-sent by the service: answered again, not done again
        until(lambda: device._running == 0, what="the aborted run ended")
        acks = until(lambda: len(self.fake.events("command_ack")) == 2 and self.fake.events("command_ack"), what="two acks")
        self.assertEqual({(a["commandId"], a["status"], a["experimentId"]) for a in acks}, {("c1", "ok", "e1")})
        self.assertEqual(seen, ["aborted by the service: wrong reagent"])
        self.assertEqual(self.fake.events("result"), [])
        send(device, run_command("e1"))  # a late copy of its run command does not run it again
        self.assertEqual(device.stats["runsStarted"], 1)

    def test_a_stop_rejects_runs_until_resumed(self):
        device = self.make(lambda p: 2.0)
        send(device, {"v": 1, "type": "stop", "commandId": "s1", "reason": "smoke", "issuedAt": "2026-12-07T10:00:00Z"})
        send(device, run_command("e2"))
        [rejected] = until(lambda: self.fake.events("rejected"), what="a rejection")
        self.assertEqual(rejected["reason"], "the device is stopped: smoke")
        send(device, {"v": 1, "type": "resume", "commandId": "r1", "issuedAt": "2026-12-07T10:01:00Z"})
        send(device, run_command("e3"))
        until(lambda: self.fake.events("result"), what="a result after the resume")
        self.assertEqual([(a["commandId"], a["detail"]) for a in self.fake.events("command_ack")],
                         [("s1", "stopped; aborted 0 experiment(s)"), ("r1", "resumed")])

    def test_a_command_for_a_finished_experiment_resends_its_result_until_acknowledged(self):
        calls = []
        device = self.make(lambda p: calls.append(p) or 4.0)
        send(device, run_command("e1"))
        until(lambda: self.fake.events("result"), what="a result")
        send(device, run_command("e1"))
        self.assertEqual(len(self.fake.events("result")), 2)
        self.assertEqual(self.fake.events("accepted")[-1]["attempt"], 1)
        send(device, ack("e1", attempt=1))
        self.assertEqual(device.outbox_size, 0)
        send(device, run_command("e1"))  # after the ack: answered, not run, no result
        self.assertEqual(len(self.fake.events("accepted")), 3)
        self.assertEqual(len(self.fake.events("result")), 2)
        self.assertEqual(len(calls), 1)

    def test_a_higher_attempt_after_the_end_runs_again(self):
        calls = []
        device = self.make(lambda p: calls.append(p) or 4.0)
        send(device, run_command("e1"))
        until(lambda: self.fake.events("result"), what="a result")
        send(device, ack("e1"))
        send(device, run_command("e1", attempt=2))
        until(lambda: len(calls) == 2, what="the second run")
        self.assertEqual(until(lambda: self.fake.events("result")[1:], what="the second result")[0]["attempt"], 2)

    def test_an_ack_of_another_attempt_leaves_the_report_in_the_outbox(self):
        device = self.make(lambda p: 1.0)
        send(device, run_command("e1", attempt=2))
        until(lambda: device.outbox_size == 1, what="the result in the outbox")
        send(device, ack("e1", attempt=1))
        self.assertEqual(device.outbox_size, 1)
        self.assertEqual(device.stats["acksIgnored"], 1)
        send(device, ack("e1", attempt=2, status="error"))  # refused: not re-sent either
        self.assertEqual(device.outbox_size, 0)


class Outbox(DeviceCase):
    def test_results_are_resent_until_acknowledged(self):
        device = self.make(lambda p: 1.0, resend_interval_s=0.05)
        send(device, run_command("e1"))
        until(lambda: len(self.fake.events("result")) >= 3, what="re-sends")
        self.assertGreaterEqual(device.stats["resultsResent"], 2)
        send(device, ack("e1"))
        self.assertEqual(device.outbox_size, 0)

    def test_reconnecting_lists_what_it_holds_and_resends_the_unacknowledged(self):
        rig_gate, calls = threading.Event(), []
        device = self.make(lambda p: calls.append(p) or (rig_gate.wait(5) if p["x"] == 2 else None) or 1.0)
        send(device, run_command("done"))
        until(lambda: self.fake.events("result"), what="a result")
        send(device, run_command("busy", x=2))
        until(lambda: len(calls) == 2, what="the second run")
        device._on_disconnect(None, None, 1)
        results_before = len(self.fake.events("result"))
        device._on_connect(self.fake, None, {}, 0)
        device._on_subscribe(self.fake, None, 2, [1])
        online = self.fake.on("/availability")[-1][0]
        self.assertEqual(sorted(online["holding"]), ["busy", "done"])
        self.assertEqual(len(self.fake.events("result")), results_before + 1)
        rig_gate.set()

    def test_a_restart_keeps_unacknowledged_results_and_remembers_acknowledged_ones(self):
        folder = tempfile.mkdtemp()
        file = os.path.join(folder, "outbox.json")
        calls = []
        first = self.make(lambda p: calls.append(p) or 2.5, outbox_file=file)
        send(first, run_command("acked"))
        send(first, run_command("pending"))
        until(lambda: first.outbox_size == 2, what="two results")
        send(first, ack("acked"))
        first.stop()
        second = self.make(lambda p: calls.append(p) or 0.0, outbox_file=file)
        online = self.fake.on("/availability")[0][0]
        self.assertEqual(online["holding"], ["pending"])
        self.assertEqual([e["experimentId"] for e in self.fake.events("result")], ["pending"])  # re-sent on connect
        send(second, run_command("acked"))
        self.assertEqual(self.fake.events("accepted")[-1]["experimentId"], "acked")
        self.assertEqual(len(calls), 2)
        with open(file) as f:  # the TypeScript SDK's format
            self.assertEqual(json.load(f)["acked"], [{"experimentId": "acked", "attempt": 1}])

    def test_an_unreadable_outbox_file_is_moved_aside(self):
        folder = tempfile.mkdtemp()
        file = os.path.join(folder, "outbox.json")
        Path(file).write_text("{not json")
        device = self.make(lambda p: 1.0, outbox_file=file)
        self.assertEqual(device.outbox_size, 0)
        self.assertTrue(os.path.exists(file + ".corrupt"))


class LastWill(unittest.TestCase):
    def test_the_paho_client_has_a_retained_offline_will_and_a_persistent_session(self):
        import paho.mqtt.client as mqtt

        made = {}

        class Recorder(mqtt.Client):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                made["client"], made["kwargs"] = self, kwargs

            def connect_async(self, host, port, keepalive=60, *args, **kwargs):
                made["address"] = (host, port)

            def loop_start(self):
                pass

        original = mqtt.Client
        mqtt.Client = Recorder
        try:
            device = Device("mqtt://user:secret@broker.lab:1884", device_id="rig-1", kind="k", run=abs)
            device._connect_paho()
        finally:
            mqtt.Client = original
        client = made["client"]
        self.assertEqual(made["address"], ("broker.lab", 1884))
        self.assertEqual(made["kwargs"]["client_id"], "hakken-device-rig-1")
        self.assertFalse(made["kwargs"]["clean_session"])
        self.assertEqual(client._will_topic, b"hakken/v1/devices/rig-1/availability")
        self.assertEqual(json.loads(client._will_payload), {"v": 1, "status": "offline"})
        self.assertEqual((client._will_qos, client._will_retain), (1, True))
        self.assertEqual(client._username, b"user")


if __name__ == "__main__":
    unittest.main()
