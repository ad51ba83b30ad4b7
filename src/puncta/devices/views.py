"""Pages for devices, the licence registry, cartridge lots and recall traces."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from puncta.accounts.access import clinic_view
from puncta.accounts.http import ClinicRequest
from puncta.accounts.roles import has_perm
from puncta.audit.services import actor_from_request
from puncta.clinics import clock

from . import selectors
from .forms import (
    DeviceForm,
    DrawForm,
    LogEntryForm,
    LotReceiveForm,
    ProductForm,
    RegistrySearchForm,
)
from .licensing import licence_state
from .models import DeviceStatus
from .quarantine import lot_quarantine, lot_release
from .recall import audit_trace, to_csv, trace_rows
from .services import (
    DrawRefused,
    cartridge_product_create,
    device_log_add,
    device_register,
    lot_draw,
    lot_receive,
)


def _form_errors(form, exc: ValidationError) -> None:  # type: ignore[no-untyped-def]
    for name, errors in exc.message_dict.items():
        target = name if name in form.fields else None
        for error in errors:
            form.add_error(target, error)


@clinic_view("device.view")
def device_list(request: ClinicRequest) -> HttpResponse:
    today = clock.today(request.clinic)
    jurisdiction = request.clinic.jurisdiction
    devices = [(d, licence_state(d, today, jurisdiction))
               for d in selectors.devices_of(request.clinic.pk)]
    return render(request, "devices/device_list.html", {"devices": devices, "today": today})


@clinic_view("device.view")
def device_detail(request: ClinicRequest, pk: int) -> HttpResponse:
    device = selectors.device_get(request.clinic.pk, pk)
    today = clock.today(request.clinic)
    return render(request, "devices/device_detail.html", {
        "device": device,
        "state": licence_state(device, today, request.clinic.jurisdiction),
        "log": device.log_entries.select_related("by")[:50],
        "log_form": LogEntryForm(initial={"on": today}),
        "today": today,
    })


def _save_device(request: ClinicRequest, form: DeviceForm, device=None):  # type: ignore[no-untyped-def]
    """Link the licence and save the device (one service, one transaction); None if
    refused, with the errors on the form."""
    authority = form.cleaned_data["licence_authority"]
    licence = {"authority": authority, "number": form.cleaned_data["licence_number"],
               **(form.fda_fields() if authority == "FDA" else {})} if authority else {}
    try:
        return device_register(actor=actor_from_request(request), clinic_id=request.clinic.pk,
                               device=device, licence=licence, **form.device_fields())
    except ValidationError as exc:
        _form_errors(form, exc)
        return None


@clinic_view("device.manage")
@require_http_methods(["GET", "POST"])
def device_create_view(request: ClinicRequest) -> HttpResponse:
    form = DeviceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = _save_device(request, form)
        if device is not None:
            messages.success(request, _("Device %(device)s added.") % {"device": device})
            return redirect("devices:device_detail", pk=device.pk)
    return render(request, "devices/device_form.html", {"form": form, "creating": True})


@clinic_view("device.manage")
@require_http_methods(["GET", "POST"])
def device_edit_view(request: ClinicRequest, pk: int) -> HttpResponse:
    device = selectors.device_get(request.clinic.pk, pk)
    form = DeviceForm(request.POST or None, instance=device)
    if request.method == "POST" and form.is_valid():
        saved = _save_device(request, form, device=selectors.device_get(request.clinic.pk, pk))
        if saved is not None:
            messages.success(request, _("Changes saved."))
            return redirect("devices:device_detail", pk=saved.pk)
    return render(request, "devices/device_form.html",
                  {"form": form, "device": device, "creating": False})


@clinic_view("device.manage")
@require_POST
def device_log_view(request: ClinicRequest, pk: int) -> HttpResponse:
    device = selectors.device_get(request.clinic.pk, pk)
    form = LogEntryForm(request.POST)
    if form.is_valid():
        device_log_add(actor=actor_from_request(request), device=device, **form.cleaned_data)
        messages.success(request, _("Log entry added."))
        return redirect("devices:device_detail", pk=device.pk)
    today = clock.today(request.clinic)
    return render(request, "devices/device_detail.html", {
        "device": device, "state": licence_state(device, today, request.clinic.jurisdiction),
        "log": device.log_entries.select_related("by")[:50], "log_form": form, "today": today,
    }, status=422)


@clinic_view("device.view")
def registry_lookup(request: ClinicRequest) -> HttpResponse:
    form = RegistrySearchForm(request.GET or None)
    results = []
    query = ""
    if form.is_valid():
        query = form.cleaned_data["q"]
        today = clock.today(request.clinic)
        results = [selectors.licence_verify(r.original_licence_no, today)
                   for r in selectors.registry_search(query)]
    template = "devices/_registry_rows.html" if request.htmx else "devices/registry.html"
    return render(request, template, {"form": form, "results": results, "query": query})


@clinic_view("device.view")
def lot_list(request: ClinicRequest) -> HttpResponse:
    clinic_id = request.clinic.pk
    products = selectors.products_of(clinic_id)
    receive_form = LotReceiveForm(request.POST or None, products=products,
                                  prefix="lot")
    product_form = ProductForm(None, prefix="product")
    if request.method == "POST":
        if not has_perm(request.membership.role, "lot.receive"):
            raise PermissionDenied
        if receive_form.is_valid():
            data = receive_form.cleaned_data
            try:
                lot = lot_receive(actor=actor_from_request(request), product=data["product"],
                                  lot_number=data["lot_number"], expiry=data["expiry"],
                                  quantity=data["quantity"])
            except ValidationError as exc:
                _form_errors(receive_form, exc)
            else:
                messages.success(request, _("Lot %(lot)s received.") % {"lot": lot.lot_number})
                return redirect("devices:lot_list")
    return render(request, "devices/lot_list.html", {
        "lots": selectors.lots_of(clinic_id), "receive_form": receive_form,
        "product_form": product_form, "products": products, "today": clock.today(request.clinic),
    })


@clinic_view("lot.receive")
@require_POST
def product_create_view(request: ClinicRequest) -> HttpResponse:
    form = ProductForm(request.POST, prefix="product")
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "compatible_text"}
        try:
            product = cartridge_product_create(
                actor=actor_from_request(request), clinic_id=request.clinic.pk,
                compatible_models=form.cleaned_data["compatible_text"], **data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Cartridge %(product)s added.") % {"product": product})
            return redirect("devices:lot_list")
    clinic_id = request.clinic.pk
    products = selectors.products_of(clinic_id)
    return render(request, "devices/lot_list.html", {
        "lots": selectors.lots_of(clinic_id), "products": products,
        "receive_form": LotReceiveForm(products=products, prefix="lot"),
        "product_form": form, "today": clock.today(request.clinic),
    }, status=422)


@clinic_view("device.view")
@require_http_methods(["GET", "POST"])
def lot_detail(request: ClinicRequest, pk: int) -> HttpResponse:
    clinic_id = request.clinic.pk
    lot = selectors.lot_get(clinic_id, pk)
    devices = selectors.devices_of(clinic_id).filter(status=DeviceStatus.IN_SERVICE)
    form = DrawForm(request.POST or None, devices=devices)
    if request.method == "POST" and request.POST.get("action") in ("quarantine", "release"):
        return _quarantine(request, lot)
    if request.method == "POST":
        if not has_perm(request.membership.role, "lot.draw"):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                patient = (selectors.patient_in_clinic(clinic_id, mrn=data["patient_mrn"])
                           if data["patient_mrn"] else None)
            except Http404:
                form.add_error("patient_mrn", _("No patient of this clinic has this record "
                                                "number."))
            else:
                try:
                    lot_draw(actor=actor_from_request(request), lot=lot, device=data["device"],
                             patient=patient, reference=data["reference"])
                except DrawRefused as exc:
                    form.add_error(None, exc.message)
                else:
                    messages.success(request, _("One cartridge drawn from lot %(lot)s.")
                                     % {"lot": lot.lot_number})
                    return redirect("devices:lot_detail", pk=lot.pk)
    treated: list[dict[str, Any]] = []
    if lot.quarantined and has_perm(request.membership.role, "lot.trace"):
        # The patients already treated from a quarantined lot, for the recall letters.
        draws = list(selectors.lot_trace([lot]))
        audit_trace(actor_from_request(request), draws, via="web-quarantine")
        treated = trace_rows(draws)
    return render(request, "devices/lot_detail.html",
                  {"lot": lot, "form": form, "today": clock.today(request.clinic),
                   "treated": treated})


def _quarantine(request: ClinicRequest, lot: Any) -> HttpResponse:
    if not has_perm(request.membership.role, "lot.receive"):
        raise PermissionDenied
    action = lot_quarantine if request.POST.get("action") == "quarantine" else lot_release
    try:
        action(actor=actor_from_request(request), lot=lot,
               reason=request.POST.get("reason", ""))
    except DrawRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Lot %(lot)s quarantined: no cartridge can be drawn from "
                                    "it.") % {"lot": lot.lot_number}
                         if action is lot_quarantine else
                         _("Lot %(lot)s released.") % {"lot": lot.lot_number})
    return redirect("devices:lot_detail", pk=lot.pk)


@clinic_view("lot.trace")
def lot_trace_view(request: ClinicRequest, pk: int) -> HttpResponse:
    lot = selectors.lot_get(request.clinic.pk, pk)
    draws = list(selectors.lot_trace([lot]))
    as_csv = request.GET.get("format") == "csv"
    audit_trace(actor_from_request(request), draws, via="web-csv" if as_csv else "web")
    rows = trace_rows(draws)
    if as_csv:
        response = HttpResponse(to_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="lot-{lot.pk}-trace.csv"'
        return response
    return render(request, "devices/lot_trace.html", {"lot": lot, "rows": rows})
