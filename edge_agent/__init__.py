"""The AIBOX edge agent: runs on each box, without Django."""

__version__ = "0.1.0"
