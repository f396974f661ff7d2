"""The REST client against a stub of the service: paths, token, bodies, errors, and the CSV export."""

import json
import sys
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hakken import Client, HakkenError, parse_results_csv  # noqa: E402

CAMPAIGN = {
    "id": "c1", "status": "running",
    "batches": [{"id": "b1", "index": 0, "status": "completed"}, {"id": "b2", "index": 1, "status": "proposed"}],
    "experiments": [{"id": "e1", "batchId": "b1"}, {"id": "e2", "batchId": "b2"}, {"id": "e3", "batchId": "b2"}],
}
CSV = "x1,solvent,y,failed,failure_reason,source\r\n1.5,DMA,0.25,false,,campaign\r\n-2,NMP,,true,no product,campaign\r\n"


class Stub(BaseHTTPRequestHandler):
    seen = []

    def log_message(self, *args):
        pass

    def answer(self, status, body, kind="application/json"):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        Stub.seen.append((self.command, self.path, self.headers.get("authorization"), body))
        if self.path == "/api/campaigns/c1" and self.command == "GET":
            return self.answer(200, CAMPAIGN)
        if self.path == "/api/campaigns/c1/results.csv":
            return self.answer(200, CSV, "text/csv")
        if self.path == "/api/campaigns" and self.command == "POST":
            return self.answer(400, {"error": {"code": "invalid_definition", "message": "the definition is impossible",
                                               "problems": ["budget: must be positive"]}})
        return self.answer(200, {"ok": True})

    do_GET = do_POST = do_PUT = handle_any


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.client = Client(f"http://127.0.0.1:{cls.server.server_port}", "secret-token")

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()

    def setUp(self):
        Stub.seen.clear()

    def test_approves_the_pending_batch_with_the_token(self):
        self.client.approve("c1", note="looks safe")
        self.assertEqual(Stub.seen[-1], ("POST", "/api/campaigns/c1/batches/b2/approve", "Bearer secret-token", {"note": "looks safe"}))
        self.client.reject("c1", "b9")
        self.assertEqual(Stub.seen[-1][:2], ("POST", "/api/campaigns/c1/batches/b9/reject"))

    def test_the_pending_batch_comes_with_its_proposals(self):
        batch = self.client.pending_batch("c1")
        self.assertEqual(batch["id"], "b2")
        self.assertEqual([e["id"] for e in batch["experiments"]], ["e2", "e3"])

    def test_a_refusal_carries_its_code_and_every_problem(self):
        with self.assertRaises(HakkenError) as caught:
            self.client.create_campaign({"budget": 0})
        self.assertEqual((caught.exception.status, caught.exception.code), (400, "invalid_definition"))
        self.assertEqual(caught.exception.problems, ["budget: must be positive"])
        self.assertIn("budget: must be positive", str(caught.exception))

    def test_imports_and_approval_policy_send_the_service_s_bodies(self):
        self.client.import_results("c1", "notebook p. 12", results=[{"params": {"x1": 1}, "value": 2.0}])
        self.assertEqual(Stub.seen[-1][1:], ("/api/campaigns/c1/imports", "Bearer secret-token",
                                              {"source": "notebook p. 12", "results": [{"params": {"x1": 1}, "value": 2.0}]}))
        self.client.set_approval("c1", "auto")
        self.assertEqual((Stub.seen[-1][0], Stub.seen[-1][3]), ("PUT", {"policy": "auto"}))

    def test_exports_results_as_dicts_with_numbers(self):
        rows = self.client.results("c1")
        self.assertEqual(rows[0], {"x1": 1.5, "solvent": "DMA", "y": 0.25, "failed": False, "failure_reason": None, "source": "campaign"})
        self.assertEqual((rows[1]["y"], rows[1]["failed"], rows[1]["failure_reason"]), (None, True, "no product"))
        self.assertEqual(parse_results_csv("a\r\n"), [])


if __name__ == "__main__":
    unittest.main()
