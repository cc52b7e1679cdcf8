"""All routes of the desk's forms and dialogs, for one `include_router` in the app factory."""

from __future__ import annotations

from fastapi import APIRouter

from dispatcher.desk import (
    assign,
    doctor,
    forms,
    questionnaire_web,
    route_sheet,
    service_card_web,
    transfer,
)

router = APIRouter()
# questionnaire, substitution table and service card after the forms they extend
for _module in (forms, assign, transfer, doctor, route_sheet, questionnaire_web, service_card_web):
    router.include_router(_module.router)
