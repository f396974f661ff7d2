"""A stand-in for paho's client: records what the device publishes; the test plays the broker."""

import json
import logging
import threading
import time
from types import SimpleNamespace

logging.getLogger("hakken").setLevel(logging.CRITICAL)  # the tests read what is published, not the log


class FakeMqtt:
    def __init__(self):
        self.published = []  # (topic, message, qos, retain)
        self.subscriptions = []
        self.lock = threading.Lock()

    def publish(self, topic, payload, qos=0, retain=False):
        with self.lock:
            self.published.append((topic, json.loads(payload), qos, retain))
        return SimpleNamespace(wait_for_publish=lambda timeout=None: True)

    def subscribe(self, topic, qos=0):
        self.subscriptions.append((topic, qos))

    def disconnect(self):
        pass

    def socket(self):
        return None

    def events(self, kind=None):
        with self.lock:
            out = [m for t, m, _, _ in self.published if t.endswith("/events")]
        return [m for m in out if kind is None or m["type"] == kind]

    def on(self, suffix):
        with self.lock:
            return [(m, qos, retain) for t, m, qos, retain in self.published if t.endswith(suffix)]


def connect(device, fake):
    """Starts the device on the fake client, as a broker granting its connection and subscription would."""
    def grant():
        until(lambda: device._state == "started", what="start()")
        device._on_connect(fake, None, {}, 0)
        device._on_subscribe(fake, None, 1, [1])

    threading.Thread(target=grant, daemon=True).start()
    device.start(timeout_s=5)


def send(device, message):
    device._on_message(None, None, SimpleNamespace(topic=device._topics["commands"], payload=json.dumps(message).encode()))


def run_command(experiment_id, attempt=1, **params):
    return {"v": 1, "type": "run", "experimentId": experiment_id, "campaignId": "c1", "attempt": attempt,
            "params": params or {"x": 1.0}, "issuedAt": "2026-12-07T10:00:00.000Z"}


def ack(experiment_id, attempt=None, status="ok"):
    message = {"v": 1, "type": "ack", "experimentId": experiment_id, "status": status}
    if attempt is not None:
        message["attempt"] = attempt
    return message


def until(check, timeout_s=5.0, what="a condition"):
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)
