"""python -m app: serve on $PORT (default 8080).

    python -m app --version     print the version and exit
    python -m app --probe URL   GET URL once: exit 0 on 200 OK, else 1
"""

import argparse
import logging
import os
import signal
import sys
import threading
import urllib.request

from app import __version__
from app.server import make_server


def probe(url, timeout=5.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status == 200
    except OSError as e:  # URLError and HTTPError are OSErrors
        logging.error("probe %s: %s", url, e)
        return False


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--probe", metavar="URL", help="GET URL once and exit 0 on 200 OK, else 1")
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    if args.version:
        print(__version__)
        return 0
    if args.probe:
        return 0 if probe(args.probe) else 1

    port = int(os.environ.get("PORT", "8080"))
    server = make_server(port=port)
    # SIGTERM (docker stop) shuts down like Ctrl-C; shutdown must run off the serving thread.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    logging.info("python-app %s listening on :%d", __version__, port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    logging.info("shut down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
