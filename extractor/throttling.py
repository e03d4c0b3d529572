"""Failed log-ins, slowed down per client address and per account from that address.

Both ways in, the log-in page and ``POST /api/v1/auth/token/``, ask
:func:`login_wait_seconds` before checking a password, call
:func:`login_failure_record` when the password was wrong and
:func:`login_success_record` when it was right.

Rules (settings, all from the environment):

* ``LOGIN_FAILURES_PER_ACCOUNT`` (5) wrong passwords for one username from one client
  address, or ``LOGIN_FAILURES_PER_ADDRESS`` (20) from one address for any usernames,
  within ``LOGIN_FAILURE_WINDOW_SECONDS`` (900) of the first one, block further
  attempts for that username from that address, or from that address altogether, until
  the window has passed (HTTP 429 with Retry-After);
* the account itself is never blocked: whoever knows a username cannot lock its owner
  out, since the owner's own address has no failures to count. A guesser is held to
  20 guesses per window per address (per /64 network for IPv6);
* a successful log-in clears the (username, address) count, not the address's: one
  valid account must not buy an attacker more guesses at others.

Counts live in Django's cache (Redis in production, so every web process shares them;
a file cache in embedded mode) under keys of their own. The window is fixed: it
starts at the first failure, so a blocked client knows exactly when to come back.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import math
import time
import types

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

KEY_PREFIX = "login-failures:v2"
ACCOUNT = "account-at-address"
ADDRESS = "address"


def client_address(request: HttpRequest) -> str:
    """The address the request came from.

    ``REMOTE_ADDR``, unless ``TRUSTED_PROXY_COUNT`` reverse proxies stand in front of
    the app: then the address the outermost of them saw, which is the
    ``TRUSTED_PROXY_COUNT``-th X-Forwarded-For entry from the right. Entries further
    left were written by the client and prove nothing, so they are never used when the
    header is long enough. A value that is not an IP address falls back to REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    hops = [
        hop.strip()
        for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if hop.strip()
    ]
    if not hops:
        return remote
    candidate = hops[-proxies] if len(hops) >= proxies else hops[0]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return remote
    return candidate


def _address_identity(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        # One IPv6 client usually holds a whole /64: count the network, not the host.
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _key(kind: str, identity: str) -> str:
    # Hashed: usernames are user input (spaces, any length) and stay out of the cache.
    digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"{KEY_PREFIX}:{kind}:{digest}"


def _account_key(*, request: HttpRequest, username: str) -> str:
    # Case-folded: a case-insensitive user model must not multiply the guesses.
    address = _address_identity(client_address(request))
    return _key(ACCOUNT, f"{address} {username.strip().casefold()}")


def _keys(*, request: HttpRequest, username: str) -> dict[str, tuple[str, int]]:
    keys = {
        ADDRESS: (
            _key(ADDRESS, _address_identity(client_address(request))),
            settings.LOGIN_FAILURES_PER_ADDRESS,
        )
    }
    if username:
        keys[ACCOUNT] = (
            _account_key(request=request, username=username),
            settings.LOGIN_FAILURES_PER_ACCOUNT,
        )
    return keys


def login_wait_seconds(*, request: HttpRequest, username: str) -> int:
    """Seconds before this username or address may try again; 0 when it may now."""
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    now = time.time()
    keys = _keys(request=request, username=username)
    stored = cache.get_many([name for key, _ in keys.values() for name in (key, key + ":since")])
    wait = 0
    for key, limit in keys.values():
        since = stored.get(key + ":since")
        if since is not None and stored.get(key, 0) >= limit:
            wait = max(wait, math.ceil(since + window - now))
    return max(wait, 0)


def login_failure_record(*, request: HttpRequest, username: str) -> None:
    """Count one wrong password against the client address, and against the username
    from that address."""
    for key, _ in _keys(request=request, username=username).values():
        _count(key)


def login_success_record(*, request: HttpRequest, username: str) -> None:
    """Forget the username's failures from this address (the address keeps its count)."""
    if username:
        key = _account_key(request=request, username=username)
        cache.delete_many([key, key + ":since"])


def _count(key: str) -> None:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    now = time.time()
    if cache.add(key + ":since", now, timeout=window):
        cache.set(key, 1, timeout=window)  # a new window
        return
    since = cache.get(key + ":since")
    if since is None or since + window <= now:
        # The window ended (the cache may not have dropped the keys yet): a new one.
        cache.set_many({key + ":since": now, key: 1}, timeout=window)
        return
    remaining = max(1, math.ceil(since + window - now))
    try:
        cache.incr(key)  # atomic on Redis
    except ValueError:
        cache.set(key, 1, timeout=remaining)
    else:
        # Some backends (the file cache) reset the expiry on incr: end with the window.
        cache.touch(key, remaining)


def wait_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed log-in attempts from this address. Try again in {minutes} {unit}."


# --- The same per-user rates as the API, for the wizard's expensive actions ---------


def wizard_throttle(scope: str):
    """Apply the API's ``ScopedRateThrottle`` rate for ``scope`` to a wizard view's
    POSTs, counted in the same cache entries, so the page and the API share one budget
    per user (per address for anonymous users, e.g. sign-up)."""
    from rest_framework.throttling import ScopedRateThrottle

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if request.method == "POST":
                throttle = ScopedRateThrottle()
                if not throttle.allow_request(request, types.SimpleNamespace(throttle_scope=scope)):
                    return _too_many(request, math.ceil(throttle.wait() or 1))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _too_many(request: HttpRequest, seconds: int):
    from django.shortcuts import render

    minutes = max(1, math.ceil(seconds / 60))
    message = (
        "Too many requests of this kind in a short time. "
        f"Try again in {minutes} minute{'' if minutes == 1 else 's'}."
    )
    template = "partials/throttled.html" if getattr(request, "htmx", False) else "throttled.html"
    response = render(request, template, {"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response
