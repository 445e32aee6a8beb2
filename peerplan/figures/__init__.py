"""The figures pages show: progress and coverage, trends over time from the history, chart geometry,
insights from the evidence, and the anonymous figures shared between services."""
