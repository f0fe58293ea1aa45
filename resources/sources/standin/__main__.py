"""`python -m resources.sources.standin [--port N] [--now ISO] [--speed X] [--archive DIR]`: runs the
stand-ins until interrupted and prints the environment that points the live sources at them."""

import argparse
import signal
import sys
from pathlib import Path

from nba_assets.lib.paths import DEFAULT_ARCHIVE
from resources.sources.standin.server import StandinServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m resources.sources.standin", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--now", default="2025-11-02T12:00", help="simulated time, ISO (naive: US Eastern)")
    parser.add_argument("--speed", type=float, default=0.0, help="simulated seconds per real second (0: frozen)")
    parser.add_argument("--archive", default=str(DEFAULT_ARCHIVE), help="replay archive folder")
    parser.add_argument(
        "--publish-hour", type=int, default=6, help="US-Eastern hour box scores are published, next day"
    )
    parser.add_argument("--env-file", help="also write the live sources' environment here (KEY=value lines)")
    args = parser.parse_args(argv)
    server = StandinServer(args.archive, args.now, port=args.port, publish_hour=args.publish_hour)
    server.clock.set(args.now, args.speed)
    env = server.live_source_env() | {"NBA_STANDIN_ADMIN_URL": server.admin_url}
    if args.env_file:  # written whole, then renamed: a reader never sees half of it
        target = Path(args.env_file)
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_text("".join(f"{name}={value}\n" for name, value in env.items()))
        temporary.replace(target)
    # The env file exists before the first line is printed: a reader of stdout may read it then.
    print(f"stand-in APIs on {server.url} (simulated now {server.clock.now().isoformat()})", flush=True)
    for name, value in env.items():
        print(f"export {name}={value}", flush=True)
    print(f"admin: {server.admin_url}/clock, {server.admin_url}/faults, {server.admin_url}/requests", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
