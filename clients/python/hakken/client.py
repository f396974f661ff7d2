"""A client of hakken's REST API with the standard library only (urllib, csv, json).

Every call takes the bearer token given once (README, "Operator console and
access"): a viewer may read, an operator also approves, rejects and imports,
an admin also creates and cancels campaigns.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
import urllib.error
import urllib.request
from typing import Any, Callable, Iterator, Mapping, Sequence
from urllib.parse import quote

FINISHED = ("completed", "cancelled")


class HakkenError(Exception):
    """The service's refusal: the HTTP status, its error code, message, and every problem it listed."""

    def __init__(self, status: int, code: str, message: str, problems: Sequence[str] = ()) -> None:
        detail = "".join(f"\n  - {p}" for p in problems)
        super().__init__(f"{status} {code}: {message}{detail}")
        self.status, self.code, self.message, self.problems = status, code, message, list(problems)


class Client:
    """``Client("http://127.0.0.1:3000", token)``; the token defaults to $HAKKEN_TOKEN."""

    def __init__(self, base_url: str | None = None, token: str | None = None, timeout_s: float = 30.0) -> None:
        self.base_url = (base_url or os.environ.get("HAKKEN_URL", "http://127.0.0.1:3000")).rstrip("/")
        self.token = token if token is not None else os.environ.get("HAKKEN_TOKEN")
        self.timeout_s = timeout_s

    # -- campaigns -------------------------------------------------------------------------------

    def create_campaign(self, definition: Mapping[str, Any]) -> dict[str, Any]:
        """Creates and starts a campaign (admin); the answer is the campaign with its id."""
        return self._json("POST", "/api/campaigns", definition)

    def campaigns(self) -> list[dict[str, Any]]:
        return self._json("GET", "/api/campaigns")

    def campaign(self, campaign_id: str) -> dict[str, Any]:
        """A campaign with its status, counts, best result, batches and experiments."""
        return self._json("GET", f"/api/campaigns/{_q(campaign_id)}")

    def pause(self, campaign_id: str) -> dict[str, Any]:
        return self._json("POST", f"/api/campaigns/{_q(campaign_id)}/pause")

    def resume(self, campaign_id: str) -> dict[str, Any]:
        return self._json("POST", f"/api/campaigns/{_q(campaign_id)}/resume")

    def cancel(self, campaign_id: str) -> dict[str, Any]:
        return self._json("POST", f"/api/campaigns/{_q(campaign_id)}/cancel")

    def set_approval(self, campaign_id: str, policy: str) -> dict[str, Any]:
        """manual, auto or auto-unless-flagged."""
        return self._json("PUT", f"/api/campaigns/{_q(campaign_id)}/approval", {"policy": policy})

    # -- batches ---------------------------------------------------------------------------------

    def pending_batch(self, campaign_id: str) -> dict[str, Any] | None:
        """The batch waiting for approval, with its proposals as ``experiments``; None when there is none."""
        campaign = self.campaign(campaign_id)
        return pending_of(campaign)

    def approve(self, campaign_id: str, batch_id: str | None = None, note: str | None = None) -> dict[str, Any]:
        """Approves a batch (the pending one when batch_id is None); operator."""
        return self._decide("approve", campaign_id, batch_id, note)

    def reject(self, campaign_id: str, batch_id: str | None = None, note: str | None = None) -> dict[str, Any]:
        """Rejects a batch (the pending one when batch_id is None): the campaign proposes another; operator."""
        return self._decide("reject", campaign_id, batch_id, note)

    def _decide(self, verb: str, campaign_id: str, batch_id: str | None, note: str | None) -> dict[str, Any]:
        if batch_id is None:
            pending = self.pending_batch(campaign_id)
            if pending is None:
                raise HakkenError(409, "NO_PENDING_BATCH", f"campaign {campaign_id} has no batch waiting for approval")
            batch_id = pending["id"]
        body = {"note": note} if note is not None else {}
        return self._json("POST", f"/api/campaigns/{_q(campaign_id)}/batches/{_q(batch_id)}/{verb}", body)

    def watch(self, campaign_id: str, interval_s: float = 1.0, timeout_s: float | None = None) -> Iterator[dict[str, Any]]:
        """Yields the campaign every interval_s until it is completed or cancelled (the last one is yielded too).
        Raises TimeoutError after timeout_s."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            campaign = self.campaign(campaign_id)
            yield campaign
            if campaign["status"] in FINISHED:
                return
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"campaign {campaign_id} still {campaign['status']} after {timeout_s} s")
            time.sleep(interval_s)

    def run_to_end(self, campaign_id: str, decide: Callable[[dict[str, Any]], bool] | None = None,
                   interval_s: float = 1.0, timeout_s: float | None = None) -> dict[str, Any]:
        """Watches a campaign to its end, deciding each batch waiting for approval: approved when
        ``decide(batch)`` is true (always, without decide), else rejected. Returns the final campaign."""
        campaign: dict[str, Any] = {}
        for campaign in self.watch(campaign_id, interval_s, timeout_s):
            batch = pending_of(campaign)
            if batch is not None:
                try:
                    self._decide("approve" if decide is None or decide(batch) else "reject", campaign_id, batch["id"], None)
                except HakkenError as err:
                    if err.status != 409:  # decided meanwhile (the console, another script): go on watching
                        raise
        return campaign

    # -- results ---------------------------------------------------------------------------------

    def import_results(self, campaign_id: str, source: str, results: Sequence[Mapping[str, Any]] | None = None,
                       csv_text: str | None = None) -> dict[str, Any]:
        """Earlier results the strategy learns from (operator): rows ``{"params": {...}, "value": v}`` (a campaign
        of several objectives or outcome limits: ``"values": {name: v, ...}`` with every objective and limited
        outcome), or ``"failed": True, "reason": ...``; or CSV text with one column per parameter and one per
        objective (and limited outcome)."""
        body: dict[str, Any] = {"source": source}
        if results is not None:
            body["results"] = list(results)
        if csv_text is not None:
            body["csv"] = csv_text
        return self._json("POST", f"/api/campaigns/{_q(campaign_id)}/imports", body)

    def results_csv(self, campaign_id: str) -> str:
        """The campaign's results as CSV: imported ones, then its own (the table an import reads)."""
        return self._request("GET", f"/api/campaigns/{_q(campaign_id)}/results.csv").decode("utf-8")

    def results(self, campaign_id: str) -> list[dict[str, Any]]:
        """The same table as a list of dicts: numbers as floats, empty cells as None, `failed` as a bool."""
        return parse_results_csv(self.results_csv(campaign_id))

    # -- transport -------------------------------------------------------------------------------

    def _json(self, method: str, path: str, body: Any = None) -> Any:
        return json.loads(self._request(method, path, body) or b"null")

    def _request(self, method: str, path: str, body: Any = None) -> bytes:
        data = None if body is None else json.dumps(body, allow_nan=False).encode("utf-8")
        headers = {"accept": "application/json"}
        if data is not None:
            headers["content-type"] = "application/json"
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as res:
                return res.read()
        except urllib.error.HTTPError as err:
            raise _refusal(err.code, err.read()) from None


def pending_of(campaign: Mapping[str, Any]) -> dict[str, Any] | None:
    """The batch of a campaign (as GET /api/campaigns/:id answers) waiting for approval, with its proposals."""
    batch = next((b for b in campaign.get("batches", []) if b.get("status") == "proposed"), None)
    if batch is None:
        return None
    return {**batch, "experiments": [e for e in campaign.get("experiments", []) if e.get("batchId") == batch["id"]]}


def parse_results_csv(text: str) -> list[dict[str, Any]]:
    """The export's rows as dicts: numbers as floats, empty cells as None, the `failed` column as a bool."""
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        rows.append({k: (v == "true") if k == "failed" and v in ("true", "false") else _cell(v) for k, v in row.items()})
    return rows


def _cell(text: str | None) -> Any:
    if text is None or text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _refusal(status: int, raw: bytes) -> HakkenError:
    try:
        error = json.loads(raw)["error"]
        return HakkenError(status, str(error.get("code", "")), str(error.get("message", "")), error.get("problems") or [])
    except (ValueError, KeyError, TypeError):
        return HakkenError(status, "HTTP_ERROR", raw.decode("utf-8", "replace")[:500])


def _q(segment: str) -> str:
    return quote(str(segment), safe="")
