"""The SVG trend charts: one point per reading, temperatures in °F, thresholds drawn where they fall."""
from datetime import timedelta

import pytest

from recovery.dashboard.charts import line_chart, trend_charts
from recovery.models import CheckIn
from tests.factories import CheckInFactory, PatientFactory

pytestmark = pytest.mark.django_db


def charts_of(patient):
    checkins = CheckIn.objects.filter(patient=patient).order_by("local_date")
    return {c.key: c for c in trend_charts(checkins, lambda c: (c.local_date - patient.surgery_date).days)}


def test_celsius_readings_are_plotted_in_fahrenheit():
    patient = PatientFactory()
    CheckInFactory(patient=patient, local_date=patient.surgery_date + timedelta(days=2), temperature="38.5",
                   temperature_unit="C")
    (point,) = charts_of(patient)["temperature"].points
    assert point.label == "Day 2: 101.3 °F"


def test_check_ins_without_a_temperature_or_binder_hours_leave_no_point():
    patient = PatientFactory()
    CheckInFactory(patient=patient, local_date=patient.surgery_date + timedelta(days=1), temperature=None,
                   binder_hours=None, pain_score=4)
    charts = charts_of(patient)
    assert (len(charts["pain"].points), charts["temperature"].points, charts["binder"].points) == (1, [], [])


def test_a_higher_value_is_drawn_higher_on_the_chart():
    chart = line_chart("pain", "Pain", "", [(1, 2.0), (2, 9.0)], y_range=(0, 10), y_step=2)
    low, high = chart.points
    assert high.y < low.y and low.x < high.x  # SVG y grows downwards
    assert chart.polyline == f"{low.x:.1f},{low.y:.1f} {high.x:.1f},{high.y:.1f}"


def test_the_threshold_line_is_left_out_when_it_is_off_the_scale():
    chart = line_chart("binder", "Binder", "h", [(1, 12.0)], y_range=(0, 24), y_step=6, threshold=(30, "too long"))
    assert chart.threshold is None
