"""``python -m extractor.simulator --port 8765 ...``: the same as ``manage.py simulate_llm``
without loading Django settings."""

from __future__ import annotations

import argparse
import logging

from extractor.simulator.config import add_arguments, config_from_arguments
from extractor.simulator.server import serve


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m extractor.simulator", description=__doc__)
    add_arguments(parser)
    options = vars(parser.parse_args())
    logging.basicConfig(level=logging.INFO if options["verbose"] else logging.WARNING)
    serve(config_from_arguments(options))


if __name__ == "__main__":
    main()
