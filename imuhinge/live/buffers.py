"""A growable array for per-sample traces that arrive a block at a time."""

from __future__ import annotations

import numpy as np


class GrowingArray:
    """Rows appended at the end, read as one contiguous array (amortised O(1) append).

    ``width`` is the number of columns (``None`` for a 1-D array); ``dtype`` the element type.
    """

    def __init__(self, width: int | None = None, dtype=np.float64, capacity: int = 1024):
        self.width = width
        shape = (capacity,) if width is None else (capacity, width)
        self._data = np.zeros(shape, dtype=dtype)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    @property
    def array(self) -> np.ndarray:
        """The rows so far (a view: writes go through, appends may move it)."""
        return self._data[: self._size]

    def append(self, rows: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=self._data.dtype)
        needed = self._size + len(rows)
        if needed > len(self._data):
            capacity = max(needed, 2 * len(self._data))
            grown = np.zeros((capacity,) + self._data.shape[1:], dtype=self._data.dtype)
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        self._data[self._size : needed] = rows
        self._size = needed
