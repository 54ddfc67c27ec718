"""`python -m smartpay_apply` runs the CLI, so tests and CI can drive it without the console script.

SIGTERM and Ctrl-C during start-up (the imports) end it like an interrupted command — exit 130
with one line — rather than with a traceback or death by the signal.
"""

import signal
import sys


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        from smartpay_apply.cli.main import main
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(130)
    main()
