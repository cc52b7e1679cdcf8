"""/start with the purpose, limits and personal-data note; the shared phone; /help; /cancel."""

from __future__ import annotations

import asyncio

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bots import keyboards, texts
from bots.context import BotContext
from bots.draft import LinkDraft, Linking, Onboarding, save
from bots.dto import contact_of, sender_of
from bots.handlers.typed import HAS_CONTACT, text_is
from intake_core.phones import InvalidPhone


async def start(message: Message, state: FSMContext, ctx: BotContext) -> None:
    await state.clear()
    sender = sender_of(message)
    phone = (await ctx.profiles.get(sender.user_id)).phone
    if phone:
        await message.answer(texts.WELCOME, reply_markup=keyboards.menu())
        return
    await state.set_state(Onboarding.contact)
    await message.answer(texts.WELCOME, reply_markup=keyboards.contact())


async def contact(message: Message, state: FSMContext, ctx: BotContext) -> None:
    """Only the sender's own contact: a forwarded card of someone else is refused."""
    assert message.contact is not None
    sender, shared = sender_of(message), contact_of(message.contact)
    if shared.owner_id != sender.user_id:
        await message.answer(texts.FOREIGN_CONTACT, reply_markup=keyboards.contact())
        return
    try:
        await asyncio.to_thread(
            ctx.services.accounts.save_contact, sender.user_id, sender.chat_id, shared.phone
        )
    except InvalidPhone:
        await message.answer(texts.BAD_PHONE, reply_markup=keyboards.contact())
        return
    finally:
        ctx.profiles.forget(sender.user_id)
    await state.clear()
    await message.answer(texts.CONTACT_SAVED, reply_markup=keyboards.menu())
    people = (await ctx.profiles.get(sender.user_id)).people
    if not people:
        await state.set_state(Linking.method)
        await save(state, LinkDraft())
        await message.answer(texts.LINK_START, reply_markup=keyboards.link_methods())


async def contact_expected(message: Message) -> None:
    await message.answer(texts.ASK_CONTACT, reply_markup=keyboards.contact())


async def help_(message: Message) -> None:
    await message.answer(texts.HELP)


async def cancel(message: Message, state: FSMContext) -> None:
    """Leave whatever dialog is running."""
    running = await state.get_state()
    await state.clear()
    await message.answer(
        texts.CANCELLED_DIALOG if running else texts.NOTHING_TO_CANCEL,
        reply_markup=keyboards.menu(),
    )


def router() -> Router:
    """The start handlers, registered in the order they must match."""
    router = Router(name="start")
    router.message.register(start, CommandStart())
    router.message.register(contact, HAS_CONTACT)
    router.message.register(contact_expected, Onboarding.contact)
    router.message.register(help_, Command("help"))
    router.message.register(help_, text_is(texts.MENU_HELP))
    router.message.register(cancel, Command("cancel"))
    return router
