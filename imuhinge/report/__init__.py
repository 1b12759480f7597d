"""What users see of an analysis: the terminal table, the JSON, the plot and the HTML report.

- ``outputs.write_outputs`` is the one call the commands make: table, then the files asked for.
- ``json_report`` is contract 2 (the analysis JSON); ``table`` the rich terminal table;
  ``plot`` the per-session figure; ``html`` the self-contained report; ``wording`` the
  plain words they share; ``accuracy`` the measured accuracy quoted in the report.

Nothing heavy is imported here, so commands that never plot do not pay for matplotlib.
"""
