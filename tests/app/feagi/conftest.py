"""Fixtures of the FEAGI API tests (defined in ``feagi_support``)."""

from feagi_support import (
    barebones,
    essential,
    hosted,
    hosted_env,
    mailbox,
    serve_brain,
    smtp_server,
)

__all__ = ["barebones", "essential", "hosted", "hosted_env", "mailbox", "serve_brain",
           "smtp_server"]
