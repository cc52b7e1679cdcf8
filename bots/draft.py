"""Dialog states and the typed data each dialog keeps in the FSM storage (Redis)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypeVar

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from pydantic import BaseModel, Field

from bots.dto import AddressDraft, Person


class Onboarding(StatesGroup):
    contact = State()


class Linking(StatesGroup):
    method = State()
    policy = State()
    birth_date = State()
    full_name = State()


class NewCall(StatesGroup):
    patient = State()
    address = State()
    address_check = State()
    address_value = State()
    details = State()
    complaints = State()
    questionnaire = State()
    safety = State()
    summary = State()
    change = State()


class Cancelling(StatesGroup):
    reason = State()


class LinkDraft(BaseModel):
    """What is known so far about the person being linked."""

    policy_number: str | None = None
    birth_date: date | None = None
    last_name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    then_call: bool = False  # linking started from «Кому нужен врач?»


class CallDraft(BaseModel):
    """A call being put together; `key` is its Idempotency-Key."""

    key: str
    patient: Person | None = None
    address: AddressDraft | None = None
    editing: str | None = None
    chips: list[int] = Field(default_factory=list)
    free_text: list[str] = Field(default_factory=list)
    answers: list[str] = Field(default_factory=list)  # the questionnaire's answer ids so far
    coded_at: datetime | None = None  # when the questionnaire reached an outcome
    checked: bool = False  # the red-flag question (or the questionnaire) is answered

    def unchecked(self) -> CallDraft:
        """The complaint or the patient changed: the questions are answered afresh."""
        return self.model_copy(update={"answers": [], "coded_at": None, "checked": False})

    def complaints_text(self, chips: tuple[str, ...]) -> str:
        picked = [chips[i] for i in sorted(self.chips) if 0 <= i < len(chips)]
        return ", ".join([*picked, *self.free_text])


class CancelDraft(BaseModel):
    call_id: int
    number: int


Model = TypeVar("Model", bound=BaseModel)


async def load(state: FSMContext, model: type[Model]) -> Model | None:
    """The dialog's typed data, or None when the dialog is not (or no longer) running."""
    data = await state.get_data()
    raw = data.get(model.__name__)
    return model.model_validate(raw) if raw is not None else None


async def save(state: FSMContext, value: BaseModel) -> None:
    await state.update_data({type(value).__name__: value.model_dump(mode="json")})
