"""The simulator: the test oracle of the analysis.

A kinematic body (pelvis, lumbar column, thorax, knees, balance over the feet) performs
hinge reps of known form, walks, turns and fidgets between sets, and one or two clipped
IMUs record it with realistic faults. ``simulate_session`` returns the recording and the
ground truth the analysis is scored against. ``simulate_plan`` has the same body do a
whole session plan (every drill of the progression, with the posture changes between
them) in one continuous session, with each drill's truth.

    config = SessionConfig.random(seed=7, sensors=("pelvis", "thorax"))
    recording, truth = simulate_session(config)
    simulated = simulate_plan(7, plan="progression")

Modules: ``config`` (the value objects of a session), ``draw`` (random sessions from a
seed), ``drills`` (every drill of the programme, in its posture, with its faults),
``kinematics`` (angle time profiles), ``body`` (geometry, balance, frames),
``sensors`` (clip, ideal signals, faults), ``session`` (simulation and truth), ``truth``
(the truth types and their JSON), ``plan`` (a session plan in one session) and
``transitions`` (the posture changes between its drills).
"""

from .config import (
    EXERCISE_OF_SCENARIO,
    SCENARIOS,
    BodySettings,
    Fidget,
    FidgetPose,
    Hold,
    Pause,
    RepPlan,
    SensorFaults,
    SensorSetup,
    SessionConfig,
    SetPlan,
    Sway,
    Turn,
    Walk,
)
from .plan import PlanConfig, PlanPart, PlanPartConfig, SimulatedPlan, perform_plan, simulate_plan
from .session import cut_session, simulate_session, true_angles
from .transitions import Transition
from .truth import Truth, TruthRep

__all__ = [
    "EXERCISE_OF_SCENARIO",
    "SCENARIOS",
    "BodySettings",
    "Fidget",
    "FidgetPose",
    "Hold",
    "Pause",
    "PlanConfig",
    "PlanPart",
    "PlanPartConfig",
    "RepPlan",
    "SensorFaults",
    "SensorSetup",
    "SessionConfig",
    "SetPlan",
    "SimulatedPlan",
    "Sway",
    "Transition",
    "Truth",
    "TruthRep",
    "Turn",
    "Walk",
    "cut_session",
    "perform_plan",
    "simulate_plan",
    "simulate_session",
    "true_angles",
]
