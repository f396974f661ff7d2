"""The device's MQTT connection with paho-mqtt (devices/sdk/src/mqtt-options.ts)."""

from __future__ import annotations

from typing import Any, Callable
from urllib.parse import unquote, urlsplit

from .protocol import encode

_SECURE = ("mqtts", "ssl", "tls")


def connect_paho(url: str, client_id: str, availability_topic: str, username: str | None, password: str | None,
                 on_connect: Callable[..., None], on_subscribe: Callable[..., None], on_message: Callable[..., None],
                 on_disconnect: Callable[..., None], on_connect_fail: Callable[..., None]) -> Any:
    """Connects in paho's background thread, which retries an unreachable broker. A persistent session
    (clean_session False: QoS 1 commands sent while the device was away are delivered on its return) and a
    retained Last Will of ``offline`` on its availability topic."""
    import paho.mqtt.client as mqtt  # imported here so the device's logic can be tested without paho

    parts = urlsplit(url)
    kwargs: dict[str, Any] = {}
    if hasattr(mqtt, "CallbackAPIVersion"):  # paho-mqtt 2: keep the 1.x callback signatures
        kwargs["callback_api_version"] = mqtt.CallbackAPIVersion.VERSION1
    client = mqtt.Client(client_id=client_id, clean_session=False, protocol=mqtt.MQTTv311, **kwargs)
    username = username or (unquote(parts.username) if parts.username else None)
    password = password or (unquote(parts.password) if parts.password else None)
    if username:
        client.username_pw_set(username, password)
    if parts.scheme in _SECURE:
        client.tls_set()
    client.will_set(availability_topic, encode({"v": 1, "status": "offline"}), qos=1, retain=True)
    client.reconnect_delay_set(min_delay=0.5, max_delay=5)
    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.on_disconnect = on_disconnect
    client.on_connect_fail = on_connect_fail  # paho >= 1.6: a connection attempt failed (it retries)
    client.connect_async(parts.hostname or "127.0.0.1", parts.port or (8883 if parts.scheme in _SECURE else 1883), keepalive=30)
    client.loop_start()
    return client
