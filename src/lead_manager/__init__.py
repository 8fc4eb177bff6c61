"""lead-manager: lead intake and management for law firms."""

from importlib.metadata import version

# One version, the distribution's (pyproject.toml): the CLI's --version and the OpenAPI document.
__version__ = version("lead-manager")
