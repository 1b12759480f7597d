"""Recording I/O: the contract-1 CSV, read with validation and written back."""

from .csv_io import format_recording, parse_recording, read_recording, write_recording
from .model import Recording, SensorStream

__all__ = [
    "Recording",
    "SensorStream",
    "format_recording",
    "parse_recording",
    "read_recording",
    "write_recording",
]
