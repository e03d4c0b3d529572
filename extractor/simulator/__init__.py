"""A simulated OpenAI-compatible model provider, for offline use, tests and benchmarks.

It speaks the real wire protocol, so the real gateway runs against it, and it can add
latency, rate limits (429 with Retry-After), 5xx, timeouts, dropped connections,
malformed or truncated answers and refusals. Answers are made up from the document
text (see ``answers.py``) and every response says ``x-simulated: true``.

    base_url, stop = start_simulator(latency=0.05, fault_script="500,timeout")
"""

from extractor.simulator.config import SimulatorConfig
from extractor.simulator.server import Simulator, serve, start_simulator

__all__ = ["Simulator", "SimulatorConfig", "serve", "start_simulator"]
