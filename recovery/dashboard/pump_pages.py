"""Dashboard pages of the pump over its life: the care team's refill and battery worklist, and what
the patient page shows about the pump (card with MRI guidance, refill history)."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.generic import TemplateView

from recovery import pump_selectors
from recovery.dashboard.forms import ListQueryForm
from recovery.dashboard.views import CareTeamRequiredMixin, form_problem
from recovery.models import Pump
from recovery.services import records
from recovery.services.pumps import BATTERY_NOTICE_DAYS, battery_replacement_soon, refill_warning

REFILLS_SHOWN = 5
# The worklist's orders as a phone shows them (the table's sortable headings are hidden there).
SORT_LABELS = [("next_refill", "Next refill"), ("alarm", "Alarm date"), ("battery", "Battery"), ("name", "Patient")]


class WorklistView(CareTeamRequiredMixin, TemplateView):
    """Refills overdue or due within 14 days and battery replacements within 90 days, sortable."""

    template_name = "dashboard/worklist.html"
    query: ListQueryForm

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.query = ListQueryForm(request.GET, sorts=pump_selectors.WORKLIST_SORTS, default_sort="next_refill")
        if not self.query.is_valid():
            return HttpResponseBadRequest(form_problem(self.query))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        sort = self.query.cleaned_data["sort"]
        rows = pump_selectors.worklist_for(self.member, sort=sort)
        records.shown_list(self.request.user, [row.pump for row in rows], "recovery.Pump")
        return {
            **super().get_context_data(**kwargs),
            "rows": rows, "sort": sort, "sort_labels": SORT_LABELS,
            "overdue": sum(row.refill_overdue for row in rows),
            "due_soon": sum(row.refill_due_soon for row in rows),
            "battery": sum(row.battery_soon for row in rows),
            "refill_days": pump_selectors.REFILL_NOTICE_DAYS, "battery_days": BATTERY_NOTICE_DAYS,
        }


def pump_card_context(pump: Pump | None) -> dict[str, Any]:
    """What the patient page's pump card needs: refill history, open refill alerts, a short fill's warning,
    battery notice, MRI."""
    if pump is None:
        return {}
    return {
        "refills": list(pump_selectors.refill_history(pump)[:REFILLS_SHOWN]),
        "refill_alerts": list(pump_selectors.open_refill_alerts(pump)),
        "refill_warning": refill_warning(pump),
        "battery_soon": battery_replacement_soon(pump),
        "mri": pump.mri_guidance,
        "battery_days": BATTERY_NOTICE_DAYS,
    }
