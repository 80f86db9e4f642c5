"""The HTTP, websocket and command-line edge of brainhost."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("brainhost")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
