"""Issue 7's routers under one include: notifications, webhooks, SMS reports, СМП, portal,
FHIR."""

from __future__ import annotations

from fastapi import APIRouter

from dispatcher.api import fhir_api, notifications_api, portal, smp, sms_reports, webhooks_api

router = APIRouter()
for module in (notifications_api, webhooks_api, sms_reports, smp, portal, fhir_api):
    router.include_router(module.router)
