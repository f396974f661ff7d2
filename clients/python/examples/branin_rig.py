"""A complete hakken device in Python: it measures the Branin function (minimum 0.397887).

    /usr/bin/python3 clients/python/examples/branin_rig.py --url mqtt://127.0.0.1:1883 --id py-rig-1 --kind branin-python
"""

import argparse
import logging
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the hakken package beside this folder

from hakken import Device  # noqa: E402


def branin(params):
    x1, x2 = params["x1"], params["x2"]
    return (x2 - 5.1 / (4 * math.pi**2) * x1**2 + 5 / math.pi * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10


def main():
    parser = argparse.ArgumentParser(description="A Branin rig on hakken, in Python.")
    parser.add_argument("--url", default=None, help="broker URL (default: $MQTT_URL or mqtt://127.0.0.1:1883)")
    parser.add_argument("--id", default="py-rig-1", help="device id")
    parser.add_argument("--kind", default="branin-python", help="device kind, as a campaign's deviceKind names it")
    parser.add_argument("--capacity", type=int, default=1)
    parser.add_argument("--outbox", default=None, help="keep unacknowledged results in this file across restarts")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stdout)

    # The rig: these lines are all a device needs.
    device = Device(args.url, device_id=args.id, kind=args.kind, objective="y", capacity=args.capacity,
                    outbox_file=args.outbox, parameters={"x1": {"low": -5, "high": 10}, "x2": {"low": 0, "high": 15}})
    device.handler(branin)
    print(f"rig {args.id} ({args.kind}) serving; Ctrl-C stops it", flush=True)
    device.serve_forever()


if __name__ == "__main__":
    main()
