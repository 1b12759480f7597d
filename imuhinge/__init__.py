"""imuhinge: watches a hip hinge with one or two body-worn IMUs.

The data path is one line: samples -> calibration -> orientation -> angles -> reps ->
metrics -> verdicts -> report/plot. Each step lives in its own module under
``imuhinge.pipeline``; recordings are read and written by ``imuhinge.recording``; the
physics-based simulator used as the test oracle is ``imuhinge.simulation``.
"""

__version__ = "0.1.0"
