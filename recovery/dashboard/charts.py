"""Server-rendered SVG trend charts: the dashboard works offline and needs no JavaScript library."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from recovery.models import CheckIn
from recovery.triage import FEVER_RULE, to_fahrenheit

WIDTH, HEIGHT = 360, 190  # about the size each of the three charts is drawn, so labels stay legible
LEFT, RIGHT, TOP, BOTTOM = 34, 10, 14, 24


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    """Everything the `_chart.html` template needs: coordinates are precomputed in SVG units."""

    key: str
    title: str
    unit: str
    points: list[Point]
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]
    threshold: tuple[float, str] | None = None
    width: int = WIDTH
    height: int = HEIGHT
    plot_right: int = WIDTH - RIGHT
    left: int = LEFT
    polyline: str = field(init=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "polyline", " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points))


def _scale(value: float, low: float, high: float, out_low: float, out_high: float) -> float:
    if high == low:
        return (out_low + out_high) / 2
    return out_low + (value - low) * (out_high - out_low) / (high - low)


def line_chart(
    key: str,
    title: str,
    unit: str,
    series: Iterable[tuple[int, float]],
    *,
    y_range: tuple[float, float],
    y_step: float,
    threshold: tuple[float, str] | None = None,
) -> Chart:
    """A chart of (recovery day, value) pairs; the x axis spans the days present (at least a week)."""
    data = sorted(series)
    y_low, y_high = y_range
    if data:
        y_low = min(y_low, min(v for _, v in data))
        y_high = max(y_high, max(v for _, v in data))
    first_day = min((d for d, _ in data), default=0)
    last_day = max(max((d for d, _ in data), default=0), first_day + 7)

    def x(day: float) -> float:
        return _scale(day, first_day, last_day, LEFT, WIDTH - RIGHT)

    def y(value: float) -> float:
        return _scale(value, y_low, y_high, HEIGHT - BOTTOM, TOP)

    points = [Point(x(day), y(value), f"Day {day}: {value:g} {unit}".strip()) for day, value in data]
    ticks, value = [], y_low
    while value <= y_high + 1e-9:
        ticks.append((y(value), f"{value:g}"))
        value += y_step
    day_step = max(1, round((last_day - first_day) / 8))
    x_ticks = [(x(day), str(day)) for day in range(first_day, last_day + 1, day_step)]
    line = (y(threshold[0]), threshold[1]) if threshold and y_low <= threshold[0] <= y_high else None
    return Chart(key, title, unit, points, ticks, x_ticks, line)


def trend_charts(checkins: Iterable[CheckIn], recovery_day_of: Callable[[CheckIn], int]) -> list[Chart]:
    """Pain score, temperature (in °F) and binder hours over recovery days, one point per check-in."""
    pain, temperature, binder = [], [], []
    for checkin in checkins:
        day = recovery_day_of(checkin)
        pain.append((day, float(checkin.pain_score)))
        if checkin.temperature is not None:
            fahrenheit = to_fahrenheit(Decimal(checkin.temperature), checkin.temperature_unit)
            temperature.append((day, float(round(fahrenheit, 1))))
        if checkin.binder_hours is not None:
            binder.append((day, float(checkin.binder_hours)))
    fever = float(FEVER_RULE.above_fahrenheit)
    return [
        line_chart("pain", "Pain score", "", pain, y_range=(0, 10), y_step=2, threshold=(8, "severe (8)")),
        line_chart("temperature", "Temperature", "°F", temperature, y_range=(97, 102), y_step=1,
                   threshold=(fever, f"fever > {fever:g} °F")),
        line_chart("binder", "Binder hours", "h", binder, y_range=(0, 24), y_step=6),
    ]
