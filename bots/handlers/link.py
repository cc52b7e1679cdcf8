"""Linking a person to the account: ЕНП + birth date, or full name + birth date."""

from __future__ import annotations

import asyncio

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message

from bots import keyboards, texts
from bots.context import BotContext
from bots.draft import LinkDraft, Linking, load, save
from bots.dto import Person, Sender, sender_of
from bots.handlers.flow import begin_call, require_phone
from bots.handlers.typed import TYPED, text_is
from intake_core.intake import InvalidBirthDate, latest_local_date, parse_birth_date
from intake_core.policy import InvalidPolicy, parse_policy


async def begin_link(message: Message, state: FSMContext, then_call: bool) -> None:
    await state.clear()
    await state.set_state(Linking.method)
    await save(state, LinkDraft(then_call=then_call))
    await message.answer(texts.LINK_START, reply_markup=keyboards.link_methods())


# a «Назад» button's step while linking → the state it was shown in
STEPS = {
    "link_method": Linking.method.state,
    "link_policy": Linking.policy.state,
    "link_birth_date": Linking.birth_date.state,
    "link_full_name": Linking.full_name.state,
}


async def _ask(message: Message, state: FSMContext, step: State, draft: LinkDraft) -> None:
    """Ask for one part of the person, with «Назад»."""
    prompts = {
        Linking.policy.state: (texts.ASK_POLICY, "link_policy"),
        Linking.birth_date.state: (texts.ASK_BIRTH_DATE, "link_birth_date"),
        Linking.full_name.state: (
            texts.LINK_NOT_IN_REGISTRY if draft.birth_date else texts.ASK_FULL_NAME,
            "link_full_name",
        ),
    }
    prompt, name = prompts[step.state]
    await save(state, draft)
    await state.set_state(step)
    await message.answer(prompt, reply_markup=keyboards.back_only(name))


async def back(query: CallbackQuery, callback_data: keyboards.Back, state: FSMContext) -> None:
    """One step back while linking; from the first step, out of the dialog."""
    draft = await load(state, LinkDraft)
    if (
        draft is None
        or not isinstance(query.message, Message)
        or await state.get_state() != STEPS.get(callback_data.step)
    ):
        await query.answer(texts.STALE_BUTTON)
        return
    await query.answer()
    message, step = query.message, callback_data.step
    if step == "link_method":
        await state.clear()
        await message.answer(texts.CANCELLED_DIALOG, reply_markup=keyboards.menu())
    elif step in {"link_policy", "link_full_name"} and draft.birth_date is None:
        fresh = LinkDraft(then_call=draft.then_call)
        await save(state, fresh)
        await state.set_state(Linking.method)
        await message.answer(texts.LINK_START, reply_markup=keyboards.link_methods())
    elif step == "link_full_name":  # not found in the registry: the birth date again
        await _ask(
            message, state, Linking.birth_date, draft.model_copy(update={"birth_date": None})
        )
    elif draft.policy_number:
        await _ask(message, state, Linking.policy, draft.model_copy(update={"policy_number": None}))
    else:
        await _ask(message, state, Linking.full_name, draft.model_copy(update={"last_name": None}))


async def link(message: Message, state: FSMContext, ctx: BotContext) -> None:
    if await require_phone(message, ctx):
        await begin_link(message, state, then_call=False)


async def method(
    query: CallbackQuery, callback_data: keyboards.LinkMethod, state: FSMContext
) -> None:
    await query.answer()
    assert isinstance(query.message, Message)
    draft = await load(state, LinkDraft) or LinkDraft()
    await _ask(
        query.message,
        state,
        Linking.policy if callback_data.by_policy else Linking.full_name,
        draft,
    )


async def policy(message: Message, state: FSMContext) -> None:
    draft = await load(state, LinkDraft) or LinkDraft()
    try:
        parsed = parse_policy(None, message.text)
        if parsed is None or not parsed.is_enp:
            raise InvalidPolicy(texts.ASK_POLICY)
    except InvalidPolicy as exc:
        await message.answer(exc.message, reply_markup=keyboards.back_only("link_policy"))
        return
    await _ask(
        message,
        state,
        Linking.birth_date,
        draft.model_copy(update={"policy_number": parsed.number}),
    )


async def full_name(message: Message, state: FSMContext, ctx: BotContext) -> None:
    parts = [p.capitalize() for p in (message.text or "").split()]
    if len(parts) < 2 or not all(p.replace("-", "").isalpha() for p in parts):
        await message.answer(
            texts.BAD_FULL_NAME, reply_markup=keyboards.back_only("link_full_name")
        )
        return
    draft = await load(state, LinkDraft) or LinkDraft()
    draft = draft.model_copy(
        update={
            "last_name": parts[0],
            "first_name": parts[1],
            "middle_name": " ".join(parts[2:]) or None,
        }
    )
    if draft.birth_date is None:
        await _ask(message, state, Linking.birth_date, draft)
        return
    await save(state, draft)
    await _finish(message, state, ctx, sender_of(message), draft)


async def birth_date(message: Message, state: FSMContext, ctx: BotContext) -> None:
    try:
        born = parse_birth_date(message.text or "", latest_local_date(ctx.clock()))
    except InvalidBirthDate as exc:
        await message.answer(exc.message, reply_markup=keyboards.back_only("link_birth_date"))
        return
    draft = await load(state, LinkDraft) or LinkDraft()
    draft = draft.model_copy(update={"birth_date": born})
    record = await asyncio.to_thread(
        ctx.services.accounts.find_in_registry,
        born,
        draft.policy_number,
        draft.last_name,
        draft.first_name,
    )
    if record is not None:
        draft = draft.model_copy(
            update={
                "last_name": record.last_name,
                "first_name": record.first_name,
                "middle_name": record.middle_name,
                "policy_number": draft.policy_number or record.policy_number,
            }
        )
    if draft.last_name is None:
        await _ask(message, state, Linking.full_name, draft)
        return
    await save(state, draft)
    await _finish(message, state, ctx, sender_of(message), draft)


async def _finish(
    message: Message, state: FSMContext, ctx: BotContext, sender: Sender, draft: LinkDraft
) -> None:
    assert draft.last_name and draft.first_name and draft.birth_date
    linked = await asyncio.to_thread(
        ctx.services.accounts.link,
        sender.user_id,
        draft.last_name,
        draft.first_name,
        draft.middle_name,
        draft.birth_date,
        draft.policy_number,
    )
    person = Person.of(linked)
    ctx.profiles.forget(sender.user_id)
    await message.answer(texts.linked(person.short), reply_markup=keyboards.menu())
    await state.clear()
    if draft.then_call:
        await begin_call(message, state, ctx, sender, person)


def router() -> Router:
    """The link handlers, registered in the order they must match."""
    router = Router(name="link")
    router.message.register(link, Command("link"))
    router.message.register(link, text_is(texts.MENU_LINK))
    router.callback_query.register(method, Linking.method, keyboards.LinkMethod.filter())
    router.callback_query.register(back, keyboards.Back.filter(F.step.startswith("link_")))
    router.message.register(policy, Linking.policy, TYPED)
    router.message.register(full_name, Linking.full_name, TYPED)
    router.message.register(birth_date, Linking.birth_date, TYPED)
    return router
