"""A one-line notice before an API key leaves this machine, naming the host and the variable."""

from __future__ import annotations

import ipaddress
import sys
from urllib.parse import urlsplit

from synloom.spec.oneline import one_line


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    host = host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def key_notice(base_url: str, api_key_env: str, key_set: bool) -> str | None:
    """The notice to print when a key from `$api_key_env` would go to a non-loopback host."""
    host = urlsplit(base_url).hostname
    if not key_set or is_loopback_host(host):
        return None
    return one_line(f"notice: sending ${api_key_env} to {host}")


def announce_key(base_url: str, api_key_env: str, key: str | None) -> None:
    """Print `key_notice` to stderr (a backend calls this once, before its first request)."""
    message = key_notice(base_url, api_key_env, bool(key))
    if message:
        print(message, file=sys.stderr, flush=True)
