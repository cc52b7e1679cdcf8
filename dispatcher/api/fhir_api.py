"""FHIR R4 reads of a call: ServiceRequest and Task, for MIS integrations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from dispatcher import fhir
from dispatcher.api.ratelimit import RESPONSES, limited
from dispatcher.api.responses import RowId, as_plain_json
from dispatcher.services.access import visible_call
from dispatcher.services.accounts import Principal
from dispatcher.web.deps import ServicesDep, actor_for
from intake_core.call import Call

router = APIRouter(prefix="/api/v1/fhir", tags=["fhir"], responses=as_plain_json(RESPONSES))
ReadLimited = Annotated[Principal, Depends(limited("calls:read"))]
FHIR_JSON = "application/fhir+json"


class FhirResponse(JSONResponse):
    """A FHIR resource: the OpenAPI declares its FHIR media type."""

    media_type = FHIR_JSON


def _call(services: Any, principal: Principal, call_id: int) -> Call:
    actor = actor_for(services, principal)
    with services.db.session() as session:
        return visible_call(session, actor.mo_ids, call_id)


@router.get("/ServiceRequest/{call_id}", response_class=FhirResponse)
def service_request(call_id: RowId, services: ServicesDep, principal: ReadLimited) -> FhirResponse:
    """Вызов как FHIR R4 ServiceRequest (визит на дом)."""
    resource = fhir.service_request(_call(services, principal, call_id))
    return FhirResponse(resource.model_dump(mode="json", exclude_none=True))


@router.get("/Task/{call_id}", response_class=FhirResponse)
def task(call_id: RowId, services: ServicesDep, principal: ReadLimited) -> FhirResponse:
    """Выполнение вызова как FHIR R4 Task."""
    resource = fhir.task(_call(services, principal, call_id))
    return FhirResponse(resource.model_dump(mode="json", exclude_none=True))
