"""The hip-hinge programme: one declarative profile per drill (``profiles/*.toml``).

``load_profiles()`` gives them in programme order; ``profile_named(name)`` one of them.
"""

from .profile import Check, ExerciseProfile, load_profiles, profile_named

__all__ = ["Check", "ExerciseProfile", "load_profiles", "profile_named"]
