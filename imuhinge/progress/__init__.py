"""The progression across sessions of one person: per drill, how the sessions went and
what to do next.

``build_progress(folder)`` reads and analyses every recording in a folder
(``sessions``), groups them by drill in programme order with each session's numbers
(``numbers``), applies the rule that says when a drill is done cleanly and suggests the
next drill or what to keep practising (``rule``). The terminal table (``table``), trend
plot (``plot``), HTML report (``html``) and JSON (``json_report``, schema
``imuhinge.progress/1``) show the same ``Progress``.
"""

from .collect import Progress, build_progress, progress_from
from .rule import MAX_FLAGGED_SHARE, RULE_SENTENCE, DrillProgress, Suggestion
from .sessions import Session, Skipped

__all__ = [
    "MAX_FLAGGED_SHARE", "RULE_SENTENCE", "DrillProgress", "Progress", "Session", "Skipped", "Suggestion",
    "build_progress", "progress_from",
]
