import json
import threading
import unittest
import urllib.error
import urllib.request

from app import __version__
from app.__main__ import main
from app.server import make_server


class ServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = make_server(host="127.0.0.1", port=0)
        cls.base = "http://127.0.0.1:%d" % cls.server.server_address[1]
        cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        cls.thread.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def get(self, path):
        with urllib.request.urlopen(self.base + path, timeout=5) as resp:
            return resp.status, resp.headers.get("Content-Type"), resp.read().decode()

    def test_greeting(self):
        status, ctype, body = self.get("/")
        self.assertEqual(status, 200)
        self.assertEqual(ctype, "application/json")
        got = json.loads(body)
        self.assertEqual(got["message"], "Hello, world!")
        self.assertEqual(got["version"], __version__)
        self.assertRegex(got["python"], r"^3\.\d+\.\d+")

    def test_healthz(self):
        self.assertEqual(self.get("/healthz"), (200, "text/plain; charset=utf-8", "ok\n"))

    def test_not_found(self):
        with self.assertRaises(urllib.error.HTTPError) as cm:
            self.get("/nope")
        self.assertEqual(cm.exception.code, 404)

    def test_probe(self):
        with self.assertLogs(level="ERROR"):
            self.assertEqual(main(["--probe", self.base + "/nope"]), 1)
        self.assertEqual(main(["--probe", self.base + "/healthz"]), 0)


if __name__ == "__main__":
    unittest.main()
