"""The analysis pipeline, one small module per step.

resample → calibration → orientation → angles → reps → metrics (→ one_sensor) →
verdicts, run together by ``analyse.analyse_recording``. Import the step you need; this
package itself imports nothing heavy.
"""
