"""A new call, first half: who the patient is and where the doctor goes (one message or one
tap on a saved address); the address's parts and the entrance, floor, intercom are corrected
from the summary."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bots import keyboards, texts
from bots.context import BotContext
from bots.draft import CallDraft, NewCall, load, save
from bots.dto import Person, sender_of
from bots.handlers.flow import (
    ask_address,
    begin_call,
    proceed,
    require_phone,
    show_address,
)
from bots.handlers.link import begin_link
from bots.handlers.typed import TYPED, text_is
from intake_core.patient import AgeCategory, age_category


def _category(ctx: BotContext, person: Person | None) -> AgeCategory | None:
    return age_category(person.birth_date if person else None, ctx.clock().date())


async def new_call(message: Message, state: FSMContext, ctx: BotContext) -> None:
    if not await require_phone(message, ctx):
        return
    await state.clear()
    sender = sender_of(message)
    people = list((await ctx.profiles.get(sender.user_id)).people)
    if not people:
        await message.answer(texts.NO_PATIENTS)
        await begin_link(message, state, then_call=True)
        return
    await begin_call(message, state, ctx, sender, None, people)


async def pick_patient(
    query: CallbackQuery,
    callback_data: keyboards.PatientPick,
    state: FSMContext,
    ctx: BotContext,
) -> None:
    await query.answer()
    assert isinstance(query.message, Message)
    sender = sender_of(query)
    if callback_data.patient_id == 0:
        await begin_link(query.message, state, then_call=True)
        return
    person = await ctx.profiles.person(sender.user_id, callback_data.patient_id)
    draft = await load(state, CallDraft)
    if person is None or draft is None:
        await query.message.answer(texts.STALE_BUTTON)
        return
    changed = draft.patient is not None and draft.patient.id != person.id
    draft = draft.model_copy(update={"patient": person})
    if changed:  # another person's age: the questions are answered again
        draft = draft.unchecked()
    if draft.address is None:
        await ask_address(query.message, state, ctx, sender, draft)
        return
    served = await ctx.addresses.served()  # a child's district differs from an adult's
    address = ctx.addresses.rematch(draft.address, _category(ctx, person), served)
    await proceed(query.message, state, ctx, sender, draft.model_copy(update={"address": address}))


async def typed_address(message: Message, state: FSMContext, ctx: BotContext) -> None:
    draft = await load(state, CallDraft)
    if draft is None:
        return
    served = await ctx.addresses.served()
    parsed = ctx.addresses.parse(message.text or "", _category(ctx, draft.patient), served)
    if not parsed.usable:
        await message.answer(
            texts.ADDRESS_NOT_UNDERSTOOD, reply_markup=keyboards.back_only("address")
        )
        return
    await proceed(
        message, state, ctx, sender_of(message), draft.model_copy(update={"address": parsed})
    )


async def saved_address(
    query: CallbackQuery,
    callback_data: keyboards.AddressPick,
    state: FSMContext,
    ctx: BotContext,
) -> None:
    await query.answer()
    assert isinstance(query.message, Message)
    draft = await load(state, CallDraft)
    sender = sender_of(query)
    saved = await ctx.profiles.address(sender.user_id, callback_data.address_id)
    if draft is None or saved is None:
        await query.message.answer(texts.STALE_BUTTON)
        return
    served = await ctx.addresses.served()
    address = ctx.addresses.rematch(saved.address, _category(ctx, draft.patient), served)
    await proceed(query.message, state, ctx, sender, draft.model_copy(update={"address": address}))


async def address_check(
    query: CallbackQuery,
    callback_data: keyboards.AddressCheck,
    state: FSMContext,
    ctx: BotContext,
) -> None:
    await query.answer()
    assert isinstance(query.message, Message)
    draft = await load(state, CallDraft)
    if draft is None or draft.address is None:
        await query.message.answer(texts.STALE_BUTTON)
        return
    if callback_data.field == "ok":
        await proceed(query.message, state, ctx, sender_of(query), draft)
    elif callback_data.field == "fix":
        await query.message.answer(texts.WHICH_FIELD, reply_markup=keyboards.address_fields())
    elif callback_data.field in texts.ADDRESS_FIELDS:
        await save(state, draft.model_copy(update={"editing": callback_data.field}))
        await state.set_state(NewCall.address_value)
        await query.message.answer(
            texts.ask_field(texts.ADDRESS_FIELDS[callback_data.field]),
            reply_markup=keyboards.back_only("address_value"),
        )


async def address_value(message: Message, state: FSMContext, ctx: BotContext) -> None:
    draft = await load(state, CallDraft)
    if draft is None or draft.address is None or draft.editing is None:
        return
    value = (message.text or "").strip()
    changed = draft.address.model_copy(update={draft.editing: None if value == "-" else value})
    if draft.editing == "street":
        changed = changed.model_copy(update={"street_type": None})
    served = await ctx.addresses.served()
    changed = ctx.addresses.rematch(changed, _category(ctx, draft.patient), served)
    await show_address(
        message, state, draft.model_copy(update={"address": changed, "editing": None})
    )


async def details(message: Message, state: FSMContext, ctx: BotContext) -> None:
    """Entrance, floor and intercom in one line («подъезд 2, этаж 3, домофон 54К»)."""
    draft = await load(state, CallDraft)
    if draft is None or draft.address is None:
        return
    found = ctx.addresses.details(message.text or "")
    if found is None:
        await message.answer(texts.DETAILS_NOT_UNDERSTOOD, reply_markup=keyboards.skip("details"))
        return
    address = draft.address.model_copy(update=found)
    await proceed(
        message, state, ctx, sender_of(message), draft.model_copy(update={"address": address})
    )


async def skip(
    query: CallbackQuery, callback_data: keyboards.Skip, state: FSMContext, ctx: BotContext
) -> None:
    await query.answer()
    assert isinstance(query.message, Message)
    draft = await load(state, CallDraft)
    if await state.get_state() != NewCall.details.state or draft is None:
        await query.message.answer(texts.STALE_BUTTON)
        return
    await proceed(query.message, state, ctx, sender_of(query), draft)


def router() -> Router:
    """The newcall handlers, registered in the order they must match."""
    router = Router(name="newcall")
    router.message.register(new_call, Command("call"))
    router.message.register(new_call, text_is(texts.MENU_CALL))
    router.callback_query.register(pick_patient, NewCall.patient, keyboards.PatientPick.filter())
    router.message.register(typed_address, NewCall.address, TYPED)
    router.callback_query.register(saved_address, NewCall.address, keyboards.AddressPick.filter())
    router.callback_query.register(
        address_check, NewCall.address_check, keyboards.AddressCheck.filter()
    )
    router.message.register(address_value, NewCall.address_value, TYPED)
    router.message.register(details, NewCall.details, TYPED)
    router.callback_query.register(skip, keyboards.Skip.filter())
    return router
