"""Seat review for LearnUpon: dormant-account review and Batch upload files, on DuckDB."""

__version__ = "0.1.0"
