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


@dataclass(frozen=True, kw_only=True)
class Plot:
    """The size of every chart and where its plotting area lies (the template draws the axes from these)."""

    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM


@dataclass(frozen=True)
class LineChart(Plot):
    id: str
    title: str
    description: str
    days: list
    series: list
    y_ticks: list
    x_ticks: list

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
            "Actions done, of all live actions",
            "Live actions (every action not dropped), and how many of them are done, on each day.",
            days,
            [
                ("Live actions", "planned", [p.actions for p in points]),
                ("Done", "done", [p.done for p in points]),
            ],
        ),
        line_chart(
            f"{prefix}-coverage",
            "Challenges covered and done",
            "Challenges that apply; how many are covered (they have a live action); how many have an action done.",
            days,
            [
                ("Challenges that apply", "applicable", [p.applicable for p in points]),
                ("Covered", "in_progress", [p.planned_for for p in points]),
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


@dataclass(frozen=True)
class Mark:
    """A day marked across a chart (an action done), with its label for the table."""

    position: float
    day: object
    label: str


@dataclass(frozen=True)
class AgreementChart(Plot):
    """Percent agreeing with each statement of a challenge across a check-in's closed rounds, with the days the
    challenge's actions were done marked; a round whose figures are not shown leaves a gap."""

    id: str
    title: str
    description: str
    rounds: list  # (number, closes_on)
    series: list
    y_ticks: list
    x_ticks: list
    marks: list

    @property
    def rows(self):
        """The table beside the chart: one row per round, one column per statement (None: not shown)."""
        return [
            (number, day, [series.values[i] for series in self.series]) for i, (number, day) in enumerate(self.rounds)
        ]


def agreement_chart(chart_id, statements, done_dates):
    """The chart of `statements` (figures.check_ins.StatementTrend, their rounds in the same order) by the day
    each round closed, 0–100 % agreeing, with `done_dates` marked."""
    # Every closed round any statement was asked in: a statement added later has no point in earlier ones.
    rounds = sorted({(r.number, r.closes_on) for statement in statements for r in statement.rounds})
    days = [day for _, day in rounds] + list(done_dates)
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    plot_width, plot_height = WIDTH - RIGHT - LEFT, HEIGHT - BOTTOM - TOP

    def x(day):
        if first == last:
            return round(LEFT + plot_width / 2, 1)
        return round(LEFT + plot_width * (day - first).days / span, 1)

    def y(percent):
        return round(TOP + plot_height * (1 - percent / 100), 1)

    styles = ["done", "planned", "in_progress", "blocked", "applicable"]
    series = []
    for n, statement in enumerate(statements):
        by_round = {r.number: r.agreeing_percent for r in statement.rounds}
        values = [by_round.get(number) for number, _ in rounds]
        # A round without figures breaks the line: the points either side are not joined across it.
        segments, current = [], []
        for (_, day), value in zip(rounds, values, strict=True):
            if value is None:
                if current:
                    segments.append(" ".join(current))
                current = []
            else:
                current.append(f"{x(day)},{y(value)}")
        if current:
            segments.append(" ".join(current))
        dots = [(x(day), y(v), v) for (_, day), v in zip(rounds, values, strict=True) if v is not None]
        series.append(Series(statement.text, styles[n % len(styles)], values, segments, dots))
    y_ticks = [Tick(y(p), f"{p}%") for p in (0, 25, 50, 75, 100)]
    x_ticks = [Tick(x(day), f"Round {number}") for number, day in rounds]
    marks = [Mark(x(day), day, "An action done") for day in done_dates]
    return AgreementChart(
        chart_id,
        "Agreeing, by round",
        "The percent of those answering each statement who agree or strongly agree, in each closed round with "
        "enough answers; dashed lines mark the days actions on this challenge were done.",
        rounds,
        series,
        y_ticks,
        x_ticks,
        marks,
    )
