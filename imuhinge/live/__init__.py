"""The live session: samples in as they arrive, per-rep feedback out, the same steps as offline.

``processor`` runs the analysis steps incrementally (``LiveProcessor``), ``view`` draws the
terminal screen, ``session`` ties a sample source, the crash-safe recording, the processor
and the view together and runs the offline analysis at the end, ``simulated`` is a sample
source playing the simulator's session in (scaled) real time, and ``agreement`` compares
live verdicts with offline ones.
"""

from .events import CurrentAngles, LiveRep, LiveSettings
from .processor import LiveProcessor

__all__ = ["CurrentAngles", "LiveProcessor", "LiveRep", "LiveSettings"]
