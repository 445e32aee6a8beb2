"""Line charts drawn on the server as SVG (no script, so the strict Content-Security-Policy holds), each
with the same numbers as a table beside it (templates/includes/line_chart.html).

A chart is built from a trend (tracking.progress_over_time): its geometry is worked out here, so the
template only places what it is given. Colours come from CSS classes (tokens.css), so a chart follows
light and dark mode and prints in colour."""

from dataclasses import dataclass

from django.utils.formats import date_format

WIDTH, HEIGHT = 640, 260


LEFT, RIGHT, TOP, BOTTOM = 44, 16, 14, 36  # room for the axes' labels


Y_TICKS = 4


@dataclass(frozen=True)
class Series:
    label: str
    css: str  # chart-line-<css>: the colour and dash of the line
    values: list
    points: str  # "x,y x,y ..." for <polyline>
    dots: list  # (x, y, value) for the markers


@dataclass(frozen=True)
class Tick:
    position: float
    label: str
    anchor: str = "middle"  # the first and last dates are aligned inwards, so they are not cut off
    minor: bool = False  # left out where the chart is small (printed three abreast: print.css)


@dataclass(frozen=True)
class LineChart:
    id: str
    title: str
    description: str
    days: list
    series: list
    y_ticks: list
    x_ticks: list
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM

    @property
    def rows(self):
        """The table beside the chart: one row per day, one column per series."""
        return [(day, [series.values[i] for series in self.series]) for i, day in enumerate(self.days)]


def _nice_maximum(value):
    """The smallest of 4, 8, 12, 20, 40, 80, ... (a multiple of Y_TICKS with round steps) at or above value."""
    steps = [1, 2, 3, 5]
    magnitude = 1
    while True:
        for step in steps:
            if step * magnitude * Y_TICKS >= value:
                return step * magnitude * Y_TICKS
        magnitude *= 10


def line_chart(chart_id, title, description, days, series):
    """A chart of `series` [(label, css, values)] over `days` (values are whole numbers, one per day)."""
    top_value = _nice_maximum(max([1, *[v for _, _, values in series for v in values]]))
    plot_width, plot_height = WIDTH - RIGHT - LEFT, HEIGHT - BOTTOM - TOP
    step = plot_width / max(len(days) - 1, 1)

    def x(i):
        return round(LEFT + i * step, 1)

    def y(value):
        return round(TOP + plot_height * (1 - value / top_value), 1)

    drawn = [
        Series(
            label,
            css,
            list(values),
            " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values)),
            [(x(i), y(v), v) for i, v in enumerate(values)],
        )
        for label, css, values in series
    ]
    y_ticks = [Tick(y(top_value * n / Y_TICKS), f"{round(top_value * n / Y_TICKS)}") for n in range(Y_TICKS + 1)]
    # A date under every other point: thirteen dates do not fit side by side on a phone-sized chart.
    last = len(days) - 1
    x_ticks = [
        Tick(x(i), date_format(day, "j M"), "start" if i == 0 else "end" if i == last else "middle")
        for i, day in enumerate(days)
        if i % 3 == 0 or i == last
    ]
    if len(x_ticks) >= 2 and x_ticks[-1].position - x_ticks[-2].position < 80:
        x_ticks.pop(-2)
    # Every other date but the first and the last is minor: printed, the labels are large and need the room.
    x_ticks = [
        Tick(tick.position, tick.label, tick.anchor, minor=0 < n < len(x_ticks) - 1 and n % 2 == 1)
        for n, tick in enumerate(x_ticks)
    ]
    return LineChart(chart_id, title, description, list(days), drawn, y_ticks, x_ticks)


def trend_charts(trend, prefix):
    """The three charts of progress over time: the burn-up, coverage, and overdue actions."""
    days = [point.day for point in trend.points]
    points = trend.points
    return [
        line_chart(
            f"{prefix}-burn-up",
            "Actions done, of all planned",
            "Actions that are not dropped, and how many of them are done, on each day.",
            days,
            [
                ("Actions (not dropped)", "planned", [p.actions for p in points]),
                ("Done", "done", [p.done for p in points]),
            ],
        ),
        line_chart(
            f"{prefix}-coverage",
            "Challenges planned for and done",
            "Challenges that apply; how many have an action that is not dropped (planned for); how many have "
            "an action done.",
            days,
            [
                ("Challenges that apply", "applicable", [p.applicable for p in points]),
                ("Planned for", "in_progress", [p.planned_for for p in points]),
                ("Done", "done", [p.covered_done for p in points]),
            ],
        ),
        line_chart(
            f"{prefix}-overdue",
            "Overdue actions",
            "Open actions past their due date on each day.",
            days,
            [("Overdue", "blocked", [p.overdue for p in points])],
        ),
    ]
