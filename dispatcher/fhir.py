"""A call as HL7 FHIR R4 resources: a ServiceRequest (home visit) and a Task (its fulfilment)."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from intake_core.call import Call, CallKind
from intake_core.status import CallStatus

SYSTEM = "urn:home-visit-dispatcher"
SNOMED = "http://snomed.info/sct"
HOME_VISIT = {"system": SNOMED, "code": "439708006", "display": "Home visit"}

_REQUEST_STATUS = {
    CallStatus.PENDING: "draft",
    CallStatus.NEW: "active",
    CallStatus.ACTIVE: "active",
    CallStatus.SERVED: "completed",
    CallStatus.CANCELLED: "revoked",
    CallStatus.TRANSFERRED: "revoked",
}
_TASK_STATUS = {
    CallStatus.PENDING: "received",
    CallStatus.NEW: "accepted",
    CallStatus.ACTIVE: "in-progress",
    CallStatus.SERVED: "completed",
    CallStatus.CANCELLED: "cancelled",
    CallStatus.TRANSFERRED: "rejected",
}


def _patient(call: Call) -> dict[str, Any]:
    patient = call.patient
    given = [p for p in (patient.first_name, patient.middle_name) if p]
    return {
        "display": " ".join([patient.last_name, *given]),
        "identifier": {"system": f"{SYSTEM}/policy", "value": patient.policy_number}
        if patient.policy_number
        else None,
    }


def service_request(call: Call) -> ServiceRequest:
    """The call as a ServiceRequest: intent order, priority urgent for «Неотложный»."""
    subject = {k: v for k, v in _patient(call).items() if v is not None}
    data: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": str(call.id),
        "identifier": [{"system": f"{SYSTEM}/call-number", "value": str(call.number)}]
        + [{"system": f"{SYSTEM}/{c.kind}", "value": c.value} for c in call.channels],
        "status": _REQUEST_STATUS[call.status],
        "intent": "order",
        "priority": "urgent" if call.kind is CallKind.URGENT else "routine",
        "category": [{"text": call.kind.label}],
        "code": {"coding": [HOME_VISIT], "text": "Вызов врача на дом"},
        "subject": subject,
        "authoredOn": call.created_at.isoformat(),
        "occurrenceDateTime": call.planned_date.isoformat(),
        "locationCode": [{"text": call.address.one_line}],
        "note": [{"text": f"Источник: {call.source.label}"}],
    }
    if call.complaints.raw:
        data["reasonCode"] = [{"text": call.complaints.raw}]
    if call.assignment is not None:
        data["performer"] = [{"display": call.assignment.doctor_name}]
    return ServiceRequest.model_validate(data)


def task(call: Call) -> Task:
    """The fulfilment of the call: who does it, its status and history of status changes."""
    data: dict[str, Any] = {
        "resourceType": "Task",
        "id": str(call.id),
        "status": _TASK_STATUS[call.status],
        "intent": "order",
        "priority": "urgent" if call.kind is CallKind.URGENT else "routine",
        "basedOn": [{"reference": f"ServiceRequest/{call.id}"}],
        "focus": {"reference": f"ServiceRequest/{call.id}"},
        "for": {"display": _patient(call)["display"]},
        "authoredOn": call.created_at.isoformat(),
        "lastModified": (call.history[-1].at if call.history else call.created_at).isoformat(),
        "businessStatus": {"text": call.status.label},
        "executionPeriod": {
            "start": (call.assigned_at or call.created_at).isoformat(),
            **({"end": call.served_at.isoformat()} if call.served_at else {}),
        },
    }
    if call.assignment is not None:
        data["owner"] = {"display": call.assignment.doctor_name}
    if call.status is CallStatus.CANCELLED and call.history:
        data["statusReason"] = {"text": call.history[-1].reason or "Отменён"}
    return Task.model_validate(data)
