"""All routes of the desk's forms and dialogs, for one `include_router` in the app factory."""

from __future__ import annotations

from fastapi import APIRouter

from dispatcher.desk import assign, doctor, forms, route_sheet, transfer

router = APIRouter()
for _module in (forms, assign, transfer, doctor, route_sheet):
    router.include_router(_module.router)
