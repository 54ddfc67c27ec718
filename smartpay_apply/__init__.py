"""smartpay-apply: declarative payment services for Baidu smart-program third-party platforms."""

#: The version, in one place: pyproject.toml reads it from here (setuptools' dynamic version),
#: and `--version` prints it without importlib.metadata (~50 ms at every start).
__version__ = "0.1.0"

__all__ = ["__version__"]
