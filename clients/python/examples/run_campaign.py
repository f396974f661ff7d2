"""Runs a campaign from a JSON definition to its end with the REST client: creates it, approves each
batch waiting for approval, and writes the results (CSV) when it is done. The last line printed is a
JSON summary.

    HAKKEN_TOKEN=... /usr/bin/python3 clients/python/examples/run_campaign.py --url http://127.0.0.1:3000 \
        --definition campaign.json --csv results.csv
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hakken import Client  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description="Run a hakken campaign to its end.")
    parser.add_argument("--url", default=None, help="the service (default: $HAKKEN_URL or http://127.0.0.1:3000)")
    parser.add_argument("--token", default=None, help="bearer token (default: $HAKKEN_TOKEN)")
    parser.add_argument("--definition", required=True, help="campaign definition (JSON file)")
    parser.add_argument("--csv", default=None, help="write the results here")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the end")
    args = parser.parse_args()

    client = Client(args.url, args.token)
    campaign = client.create_campaign(json.loads(Path(args.definition).read_text()))
    print(f"campaign {campaign['id']} created", flush=True)
    approved = []

    def approve(batch):
        print(f"approving batch {batch['index']} ({len(batch['experiments'])} proposals)", flush=True)
        approved.append(batch["id"])
        return True

    final = client.run_to_end(campaign["id"], decide=approve, interval_s=0.2, timeout_s=args.timeout)
    rows = client.results(campaign["id"])
    if args.csv:
        Path(args.csv).write_text(client.results_csv(campaign["id"]))
    print(json.dumps({"id": final["id"], "status": final["status"], "stopReason": final["stopReason"],
                      "best": final["best"], "approvedBatches": approved, "results": rows}), flush=True)


if __name__ == "__main__":
    main()
