"""The package version: the version of the native library the wheel carries."""

__version__ = "0.1.0"
