"""Progress of long commands (seed_demo, backup, restore, import_evidence), told through the command's own
stdout (Django's OutputWrapper), so `call_command(..., stdout=...)` sees exactly what a person sees.

On a terminal, one line is rewritten in place, at most five times a second: "Creating organisations: 120 of
1,000 (12%), about 1 min 20 s left". Anywhere else (cron mail, CI logs, a pipe) a carriage return would make
a mess, so a plain line is written each time another tenth of the work is done, and the last line says how
long it took. No dependency: this is all a progress bar needs here."""

import time

from peerplan.lib.numbers import percent

REDRAW_EVERY = 0.2  # seconds between two redraws on a terminal


def clock():
    return time.monotonic()  # a function of this module's, so tests can stand in a clock of their own


def duration(seconds):
    if seconds < 1:
        return "under 1 s"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


class Progress:
    """`label` (what is being done) of `total` things, counted with update(done) or advance(); finish() at
    the end. With `counted=False` only the share is shown (for work measured in percent, not things)."""

    def __init__(self, stdout, label, total, *, counted=True):
        self.stdout = stdout
        self.label = label
        self.total = max(total, 0)
        self.counted = counted
        self.terminal = stdout.isatty()
        self.started = clock()
        self.done = 0
        self._drawn_at = None
        self._drawn_width = 0
        self._next_tenth = 1
        self._finished = False

    def line(self, now=None):
        now = clock() if now is None else now
        share = f"{percent(self.done, self.total) if self.total else 100}%"
        text = f"{self.label}: "
        text += f"{self.done:,} of {self.total:,} ({share})" if self.counted else share
        elapsed = now - self.started
        if self.done >= self.total:
            text += f" in {duration(elapsed)}"
        elif self.done and elapsed >= 1:
            text += f", about {duration(max(1, elapsed / self.done * (self.total - self.done)))} left"
        return text

    def advance(self, count=1):
        self.update(self.done + count)

    def update(self, done, total=None):
        """`done` of the total so far; `total` when it is only known once the work has started."""
        if total is not None:
            self.total = total
        self.done = min(done, self.total)
        now = clock()
        if self.terminal:
            if self.done < self.total and self._drawn_at is not None and now - self._drawn_at < REDRAW_EVERY:
                return
            self._draw(now)
        else:
            tenths = int(self.done * 10 / self.total) if self.total else 10
            if tenths >= self._next_tenth:
                self._next_tenth = tenths + 1
                self.stdout.write(self.line(now))

    def _draw(self, now):
        text = self.line(now)
        # Pad over what a longer earlier line left behind.
        self.stdout.write("\r" + text.ljust(self._drawn_width), ending="")
        self.stdout.flush()
        self._drawn_width = len(text)
        self._drawn_at = now

    def finish(self):
        """The last line: all done, and how long it took. Call it once the work is done."""
        if self._finished:
            return
        self._finished = True
        self.done = self.total
        if self.terminal:
            self._draw(clock())
            self.stdout.write("")  # ends the line drawn in place
        elif self._next_tenth <= 10:  # the 100% line is not written yet
            self._next_tenth = 11
            self.stdout.write(self.line())

    def stop(self):
        """The work stopped short (an error follows): end the line drawn in place, claim nothing more."""
        if self.terminal and self._drawn_at is not None and not self._finished:
            self.stdout.write("")
        self._finished = True
