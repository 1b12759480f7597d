"""Column names and labels of the recording CSV (contract 1), defined once."""

TIME_S = "time_s"
SENSOR = "sensor"
ACC_G = ("acc_x_g", "acc_y_g", "acc_z_g")
GYR_DPS = ("gyr_x_dps", "gyr_y_dps", "gyr_z_dps")
COLUMNS = (TIME_S, SENSOR, *ACC_G, *GYR_DPS)
NUMERIC_COLUMNS = (TIME_S, *ACC_G, *GYR_DPS)

PELVIS = "pelvis"
THORAX = "thorax"
SENSOR_LABELS = (PELVIS, THORAX)

FORMAT_KEY = "imuhinge-recording"
FORMAT_VERSION = "1"

ACCELEROMETER_ONLY_KEY = "accelerometer-only"
START_KEY = "start (UTC)"
"""Optional metadata: when the recording started, ISO 8601 in UTC (``2026-11-23T22:50:34.120Z``);
written by the importers (from the export's epoch clock) and by live sessions."""
"""Optional metadata line ``# accelerometer-only: pelvis`` (comma-separated sensor labels):
those sensors have no gyroscope, their gyroscope columns are written as 0.0 and ignored."""
