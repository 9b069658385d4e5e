"""Public views: only published reports exist here."""

from __future__ import annotations

from django.db import connection
from django.db.utils import Error as DatabaseError  # also InterfaceError: a dead connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render

from .models import Department, Report


def _published():
    return Report.objects.published().select_related("department", "fiscal_year")


def home(request: HttpRequest) -> HttpResponse:
    reports = _published().order_by("-fiscal_year__year", "department__code")
    return render(request, "evaluations/home.html", {"reports": reports})


def year_index(request: HttpRequest, year: int) -> HttpResponse:
    reports = _published().filter(fiscal_year__year=year).order_by("department__code")
    return render(request, "evaluations/year.html", {"year": year, "reports": reports})


def report_detail(request: HttpRequest, year: int, department_code: str) -> HttpResponse:
    report = get_object_or_404(
        _published(), fiscal_year__year=year, department__code=department_code
    )
    return render(request, "evaluations/report.html", {"report": report})


def department_detail(request: HttpRequest, department_code: str) -> HttpResponse:
    department = get_object_or_404(Department, code=department_code)
    reports = _published().filter(department=department).order_by("-fiscal_year__year")
    return render(
        request, "evaluations/department.html", {"department": department, "reports": reports}
    )


def healthz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
