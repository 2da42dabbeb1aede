"""Start-up failures as one line saying what is wrong and how to fix it, instead of a traceback.

The CLI asks `startup_problem` about any exception that ends a command; when it recognises one (the
database cannot be reached, a platform's host does not resolve or answer) it prints that sentence and
exits 2. Anything it does not recognise is a bug and keeps its traceback.
"""

from __future__ import annotations

import socket

import aiohttp

from bot.store import DatabaseUnavailable, causes

PLATFORM_HOSTS = {
    "discord.com": "Discord",
    "discord.gg": "Discord",
    "discordapp.com": "Discord",
    "slack.com": "Slack",
    "slack-gov.com": "Slack",
}


def platform_of(host: str) -> str:
    """The platform a host name belongs to ("Discord", "Slack"), or the host itself."""
    for suffix, name in PLATFORM_HOSTS.items():
        if host == suffix or host.endswith("." + suffix):
            return name
    return host


def startup_problem(exc: BaseException) -> str | None:
    """One sentence for a failure the operator can fix, or None for anything else."""
    for cause in causes(exc):
        if isinstance(cause, DatabaseUnavailable):
            return cause.message
        if isinstance(cause, aiohttp.ClientConnectorError):
            host = cause.host
            who = platform_of(host)
            label = who if who == host else f"{who} ({host})"
            if isinstance(cause, aiohttp.ClientConnectorDNSError) or isinstance(cause.os_error, socket.gaierror):
                return (
                    f"cannot reach {label}: the name does not resolve. Check this machine's network "
                    "connection, DNS and proxy settings, then start studybot again."
                )
            return (
                f"cannot connect to {label} ({cause.os_error.strerror or cause.os_error}): check this "
                "machine's network connection, firewall and proxy settings, then start studybot again."
            )
    return None
