"""The analysis pipeline, one small module per step.

resample → calibration → orientation → angles → reps → metrics (→ one_sensor) →
verdicts, run together by ``analyse.analyse_recording``. ``fallback`` calibrates a
recording that never stands still; ``accelerometer_only`` replaces calibration and
orientation for a sensor without gyroscope. Import the step you need; this package
itself imports nothing heavy.
"""
