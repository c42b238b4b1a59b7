"""`python -m edge_agent run --data-dir DIR`: the box agent, in the foreground until SIGTERM/Ctrl-C."""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from waitress import create_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge_agent")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the agent")
    run.add_argument("--data-dir", type=Path, required=True, help="all state lives here")
    run.add_argument("--port", type=int, default=5555, help="the box's HTTP API (upstream: 5555)")
    run.add_argument("--host", default="0.0.0.0")
    run.add_argument("--dev-sno", help="authorisation code (else set it with PUT /SophonMQ/api/DevSno)")
    run.add_argument("--login-url", help="platform login URL (else PUT /SophonMQ/api/LoginUrl)")
    run.add_argument("--models", type=Path, help="face model folder (default: AIBOX_MODELS, else the source "
                                            "checkout's models/, else ./models)")
    run.add_argument("--mac", help="hex_mac to log in with (default: this machine's first interface)")
    run.add_argument("--relay", choices=["log", "http"], help="door/relay driver (default: log, or as last set)")
    run.add_argument("--event-bound", type=int, help="events kept on the box, oldest dropped (default 10 000)")
    run.add_argument("--input-root", type=Path, action="append", dest="input_roots", metavar="DIR",
                     help="a directory device folders and video files may lie under (repeatable; default "
                          "<data-dir>/inputs; the first one takes relative folders)")
    run.add_argument("--no-api-key", action="store_true", help="leave the local API open (upstream behaviour)")
    run.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)

    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("pika").setLevel(logging.WARNING)
    logging.getLogger("waitress").setLevel(logging.WARNING)
    from .api.app import create_app, load_api_key
    from .box import EdgeBox
    from .config import BoxConfig

    box = EdgeBox(BoxConfig(args.data_dir, dev_sno=args.dev_sno, login_url=args.login_url, models=args.models,
                        mac=args.mac, relay=args.relay, event_bound=args.event_bound,
                        input_roots=tuple(args.input_roots or ())))
    api_key = None if args.no_api_key else load_api_key(args.data_dir)
    # waitress: a production WSGI server (werkzeug's is for development); a few threads serve
    # a box's installer, platform and front-end devices.
    server = create_server(create_app(box, api_key), host=args.host, port=args.port, threads=8,
                           ident="aibox-edge-agent")
    logging.getLogger("edge_agent").info(
        "box API on http://%s:%d (API key in %s)", args.host, int(server.effective_port),
        "none" if api_key is None else args.data_dir / "api_key")
    stopped = threading.Event()

    def stop(*_):
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Thread(target=server.run, name="http", daemon=True).start()
    box.start()
    stopped.wait()
    logging.getLogger("edge_agent").info("stopping")
    server.close()
    box.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
