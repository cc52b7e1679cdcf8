"""The steps of a new call, shared by the handlers that lead into them."""

from __future__ import annotations

import asyncio
import logging
import uuid

from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bots import keyboards, texts
from bots.context import BotContext
from bots.draft import CallDraft, NewCall, save
from bots.dto import Person, Sender, sender_of
from bots.submission import Plan
from intake_core.call import RedFlag

log = logging.getLogger(__name__)

DETAILS = (
    ("entrance", NewCall.entrance, texts.ASK_ENTRANCE),
    ("floor", NewCall.floor, texts.ASK_FLOOR),
    ("intercom", NewCall.intercom, texts.ASK_INTERCOM),
)


async def require_phone(message: Message, ctx: BotContext) -> str | None:
    """The user's shared phone, or a prompt to share it first."""
    phone = (await ctx.profiles.get(sender_of(message).user_id)).phone
    if not phone:
        await message.answer(texts.NEED_CONTACT)
    return phone


async def begin_call(
    message: Message,
    state: FSMContext,
    ctx: BotContext,
    sender: Sender,
    person: Person | None,
    people: list[Person] | None = None,
) -> None:
    """A fresh draft with its own Idempotency-Key; to the address when the person is known."""
    draft = CallDraft(key=uuid.uuid4().hex, patient=person)
    await save(state, draft)
    if person is not None:
        await ask_address(message, state, ctx, sender)
        return
    if people is None:
        people = list((await ctx.profiles.get(sender.user_id)).people)
    await state.set_state(NewCall.patient)
    await message.answer(texts.WHO, reply_markup=keyboards.patients(people))


async def ask_address(message: Message, state: FSMContext, ctx: BotContext, sender: Sender) -> None:
    saved = (await ctx.profiles.get(sender.user_id)).addresses
    await state.set_state(NewCall.address)
    if saved:
        await message.answer(
            texts.ASK_ADDRESS_OR_SAVED, reply_markup=keyboards.saved_addresses(saved)
        )
    else:
        await message.answer(texts.ASK_ADDRESS)


async def show_address(message: Message, state: FSMContext, draft: CallDraft) -> None:
    """The parsed components with the matched polyclinic and district: «Это верно?»."""
    address = draft.address
    assert address is not None
    fields = {key: getattr(address, key) for key in texts.ADDRESS_FIELDS}
    if address.street and address.street_type:
        fields["street"] = f"{address.street_type} {address.street}"
    await save(state, draft)
    await state.set_state(NewCall.address_check)
    await message.answer(
        texts.address_card(fields, address.mo_name, address.district),
        reply_markup=keyboards.address_check(),
    )


async def next_detail(
    message: Message, state: FSMContext, draft: CallDraft, after: str | None
) -> None:
    """Ask for entrance, floor, intercom in turn, skipping those already known."""
    assert draft.address is not None
    names = [name for name, _, _ in DETAILS]
    start = names.index(after) + 1 if after else 0
    await save(state, draft)
    for name, step, prompt in DETAILS[start:]:
        if not getattr(draft.address, name):
            await state.set_state(step)
            await message.answer(prompt, reply_markup=keyboards.skip(name))
            return
    await ask_complaints(message, state, draft)


async def ask_complaints(message: Message, state: FSMContext, draft: CallDraft) -> None:
    await save(state, draft)
    await state.set_state(NewCall.complaints)
    await message.answer(texts.ASK_COMPLAINTS, reply_markup=keyboards.chips(draft.chips))


async def ask_safety(message: Message, state: FSMContext, draft: CallDraft) -> None:
    await save(state, draft)
    await state.set_state(NewCall.safety)
    _, question, _ = texts.SAFETY_QUESTIONS[draft.safety_step]
    await message.answer(question, reply_markup=keyboards.yes_no(draft.safety_step))


async def _plan(ctx: BotContext, mo_code: str | None) -> Plan:
    """On the loop when the MO is one of the served ones already loaded (the usual case)."""
    served = await ctx.addresses.served()
    loaded = bool(served) if mo_code is None else any(m.code == mo_code for m in served)
    if loaded:
        return ctx.submission.plan(served, mo_code)
    return await asyncio.to_thread(ctx.submission.plan, served, mo_code)


async def after_safety(
    message: Message, state: FSMContext, ctx: BotContext, draft: CallDraft
) -> None:
    """The 13:00 notice past the MO's cutoff, then the summary."""
    assert draft.address is not None
    plan = await _plan(ctx, draft.address.mo_code)
    await save(state, draft)
    if plan.past_cutoff:
        await state.set_state(NewCall.cutoff)
        await message.answer(texts.CUTOFF_NOTICE, reply_markup=keyboards.proceed())
        return
    await show_summary(message, state, ctx, draft)


async def show_summary(
    message: Message, state: FSMContext, ctx: BotContext, draft: CallDraft
) -> None:
    person, address = draft.patient, draft.address
    assert person is not None and address is not None
    plan = await _plan(ctx, address.mo_code)
    await state.set_state(NewCall.summary)
    await message.answer(
        texts.summary(
            person.short,
            address.one_line,
            texts.address_extra(address.entrance, address.floor, address.intercom),
            draft.complaints_text(texts.CHIPS),
            plan.planned,
            plan.mo_name,
        ),
        reply_markup=keyboards.confirm(draft.key),
    )


async def stop_emergency(
    message: Message,
    state: FSMContext,
    ctx: BotContext,
    sender: Sender,
    draft: CallDraft,
    flags: list[RedFlag],
) -> None:
    """Tell the patient first, then record the emergency; no visit is created."""
    await state.clear()
    await message.answer(texts.emergency([f.reason for f in flags]), reply_markup=keyboards.menu())
    phone = (await ctx.profiles.get(sender.user_id)).phone
    try:
        await asyncio.to_thread(
            ctx.submission.record_emergency, draft, phone or "", sender.chat_id, flags
        )
    except Exception as exc:  # the patient was told; a failed record must not hide that
        log.error("emergency from chat %s not recorded: %s", sender.chat_id, type(exc).__name__)
