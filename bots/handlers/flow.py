"""The steps of a new call, shared by the handlers that lead into them.

Each step asks only for what the draft lacks: who, where, what is wrong, the red-flag
question (or the questionnaire's questions the dialog cannot answer itself), then one summary
with «Отправить», «Изменить», «Назад». `proceed()` goes to the first step still open, so an
edit from the summary comes back to it.
"""

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
from bots.implied import Known
from bots.submission import Plan
from dispatcher.services.red_flag import FLAG_PREFIX
from intake_core.call import RedFlag
from intake_core.questionnaire import Facts, Questionnaire

KEY_PREFIX = 8  # characters of the draft key on a button (callback data is 64 bytes at most)
MISTAKEN_KEY = "mistaken"  # a call stopped by a tapped «Да», kept for «вернуться»

log = logging.getLogger(__name__)


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
    if person is not None:
        await ask_address(message, state, ctx, sender, draft)
        return
    await ask_patient(message, state, ctx, sender, draft, people)


async def ask_patient(
    message: Message,
    state: FSMContext,
    ctx: BotContext,
    sender: Sender,
    draft: CallDraft,
    people: list[Person] | None = None,
) -> None:
    if people is None:
        people = list((await ctx.profiles.get(sender.user_id)).people)
    await save(state, draft)
    await state.set_state(NewCall.patient)
    await message.answer(texts.WHO, reply_markup=keyboards.patients(people))


async def ask_address(
    message: Message, state: FSMContext, ctx: BotContext, sender: Sender, draft: CallDraft
) -> None:
    """Saved addresses as buttons (one tap), or a new one typed in one message."""
    saved = (await ctx.profiles.get(sender.user_id)).addresses
    await save(state, draft)
    await state.set_state(NewCall.address)
    if saved:
        await message.answer(
            texts.ASK_ADDRESS_OR_SAVED, reply_markup=keyboards.saved_addresses(saved)
        )
    else:
        await message.answer(texts.ASK_ADDRESS, reply_markup=keyboards.back_only("address"))


async def show_address(message: Message, state: FSMContext, draft: CallDraft) -> None:
    """The address's parts with the matched polyclinic and district, to correct one of them."""
    address = draft.address
    assert address is not None
    fields = {key: getattr(address, key) for key in texts.ADDRESS_FIELDS}
    if address.street and address.street_type and address.street_type != "улица":
        fields["street"] = f"{address.street_type} {address.street}"
    await save(state, draft)
    await state.set_state(NewCall.address_check)
    await message.answer(
        texts.address_card(fields, address.mo_name, address.district),
        reply_markup=keyboards.address_check(),
    )


async def ask_details(message: Message, state: FSMContext, draft: CallDraft) -> None:
    await save(state, draft)
    await state.set_state(NewCall.details)
    await message.answer(texts.ASK_DETAILS, reply_markup=keyboards.skip("details"))


async def ask_complaints(message: Message, state: FSMContext, draft: CallDraft) -> None:
    await save(state, draft)
    await state.set_state(NewCall.complaints)
    await message.answer(texts.ASK_COMPLAINTS, reply_markup=keyboards.chips())


async def ask_safety(message: Message, state: FSMContext, draft: CallDraft) -> None:
    """Every red flag in one question (when the MO switched its questionnaire off)."""
    await save(state, draft)
    await state.set_state(NewCall.safety)
    await message.answer(texts.SAFETY_QUESTION, reply_markup=keyboards.yes_no())


async def more_complaint(message: Message, draft: CallDraft) -> CallDraft:
    """Words typed where a button answers (triaged already): more of the complaint, kept and
    said so; a lone word («что?») or a wall of text is answered without keeping it."""
    more = " ".join((message.text or "").split())
    if len(more.split()) < 2:
        await message.answer(texts.ANSWER_WITH_BUTTON)
        return draft
    if len(more) > texts.MAX_COMPLAINT:
        await message.answer(texts.too_long(len(more)))
        return draft
    await message.answer(texts.ALSO_NOTED)
    return draft.model_copy(update={"free_text": [*draft.free_text, more]})


async def proceed(
    message: Message, state: FSMContext, ctx: BotContext, sender: Sender, draft: CallDraft
) -> None:
    """The first step the draft still lacks, or the summary when it lacks none."""
    if draft.patient is None:
        await ask_patient(message, state, ctx, sender, draft)
    elif draft.address is None:
        await ask_address(message, state, ctx, sender, draft)
    elif not draft.complaints_text(texts.CHIPS):
        await ask_complaints(message, state, draft)
    elif not draft.checked:
        await begin_questions(message, state, ctx, sender, draft)
    else:
        await show_summary(message, state, ctx, draft)


def known_of(ctx: BotContext, draft: CallDraft) -> Known:
    """The age from the linked birth date; the temperature and symptoms from the complaint."""
    born = draft.patient.birth_date if draft.patient else None
    complaint = ctx.submission.assess(draft.complaints_text(texts.CHIPS), born)
    facts = Facts.known(born, complaint.temperature, ctx.clock().date())
    return Known(facts, frozenset(complaint.symptoms))


async def ask_question(
    message: Message, state: FSMContext, questionnaire: Questionnaire, draft: CallDraft
) -> None:
    """The question the answers so far lead to (they always lead to one here)."""
    question = questionnaire.walk(draft.answers).question
    assert question is not None
    await save(state, draft)
    await state.set_state(NewCall.questionnaire)
    await message.answer(
        texts.question(question.text),
        reply_markup=keyboards.question(question, draft.key[:KEY_PREFIX], len(draft.answers)),
    )


async def advance(
    message: Message,
    state: FSMContext,
    ctx: BotContext,
    sender: Sender,
    questionnaire: Questionnaire,
    draft: CallDraft,
    tapped: bool = False,
) -> None:
    """Answer what the dialog knows, then stop at an exit, go to the summary, or ask.
    An exit the patient's own answer (`tapped`) led to may be taken back."""
    answers = known_of(ctx, draft).fill(questionnaire, draft.answers)
    walk = questionnaire.walk(answers)
    undo = tapped and len(answers) == len(draft.answers)
    draft = draft.model_copy(update={"answers": answers})
    if walk.exit is not None:
        flag = RedFlag(FLAG_PREFIX + walk.exit.id, walk.exit.reason)
        await stop_emergency(message, state, ctx, sender, draft, [flag], undo)
        return
    if walk.outcome is None:
        await ask_question(message, state, questionnaire, draft)
        return
    draft = draft.model_copy(update={"coded_at": ctx.clock(), "checked": True})
    await show_summary(message, state, ctx, draft)


async def begin_questions(
    message: Message, state: FSMContext, ctx: BotContext, sender: Sender, draft: CallDraft
) -> None:
    """After the complaint: the questionnaire when the MO keeps it on, else the one red-flag
    question."""
    fresh = draft.unchecked()
    if ctx.questionnaire is None:
        await ask_safety(message, state, fresh)
        return
    await advance(message, state, ctx, sender, ctx.questionnaire, fresh)


async def step_back(
    message: Message, state: FSMContext, ctx: BotContext, sender: Sender, draft: CallDraft
) -> None:
    """From the summary or a question: the last question the patient answered, or the
    complaint when they answered none."""
    questionnaire = ctx.questionnaire
    if questionnaire is None:
        if draft.checked:
            await ask_safety(message, state, draft.unchecked())
        else:
            await ask_complaints(message, state, draft.unchecked())
        return
    before = known_of(ctx, draft).back(questionnaire, draft.answers)
    if before is None:
        await ask_complaints(message, state, draft.unchecked())
        return
    back = draft.model_copy(update={"answers": before, "coded_at": None, "checked": False})
    await ask_question(message, state, questionnaire, back)


async def _plan(ctx: BotContext, mo_code: str | None) -> Plan:
    """On the loop when the MO is one of the served ones already loaded (the usual case)."""
    served = await ctx.addresses.served()
    loaded = bool(served) if mo_code is None else any(m.code == mo_code for m in served)
    if loaded:
        return ctx.submission.plan(served, mo_code)
    return await asyncio.to_thread(ctx.submission.plan, served, mo_code)


async def show_summary(
    message: Message, state: FSMContext, ctx: BotContext, draft: CallDraft
) -> None:
    """One screen: who, where, what, which polyclinic, and when the doctor comes and why."""
    person, address = draft.patient, draft.address
    assert person is not None and address is not None
    plan = await _plan(ctx, address.mo_code)
    await save(state, draft)
    await state.set_state(NewCall.summary)
    day = texts.visit_day(plan.planned, plan.today, f"{plan.cutoff:%H:%M}", plan.working_today)
    await message.answer(
        texts.summary(
            person.full,
            address.one_line,
            texts.address_extra(address.entrance, address.floor, address.intercom),
            draft.complaints_text(texts.CHIPS),
            address.mo_name or None if address.district else None,
            address.district,
            day,
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
    undo: bool = False,
) -> None:
    """Tell the patient first, then record the emergency; no visit is created. After a tapped
    «Да» (`undo`) the call is kept aside: a mistaken tap can be taken back."""
    await state.clear()
    await message.answer(texts.emergency([f.reason for f in flags]), reply_markup=keyboards.menu())
    if undo:
        await state.set_data({MISTAKEN_KEY: draft.model_dump(mode="json")})
        await message.answer(texts.MISTAKEN, reply_markup=keyboards.undo(draft.key[:KEY_PREFIX]))
    phone = (await ctx.profiles.get(sender.user_id)).phone
    try:
        await asyncio.to_thread(
            ctx.submission.record_emergency, draft, phone or "", sender.chat_id, flags
        )
    except Exception as exc:  # the patient was told; a failed record must not hide that
        log.error("emergency from chat %s not recorded: %s", sender.chat_id, type(exc).__name__)
