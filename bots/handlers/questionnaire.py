"""The reason-code questionnaire in the new-call dialog: the desk's tree, one button per answer.

The position is the list of answers in the draft; every button carries the step it answers and
the start of the dialog's key, so a double tap, a redelivered callback or a button from an older
dialog finds the position moved on and is only told so. What is already known is not asked:
the age comes from the linked birth date and the temperature from the complaint, and the
answers they choose are put in the list as if pressed — an exit behind them still stops.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bots import keyboards, texts
from bots.context import BotContext
from bots.draft import CallDraft, NewCall, load, save
from bots.dto import Sender, sender_of
from bots.handlers.flow import ask_complaints, ask_safety, stop_emergency
from bots.handlers.typed import TYPED, typed_answer
from dispatcher.services.red_flag import FLAG_PREFIX
from intake_core.call import RedFlag
from intake_core.questionnaire import Facts, Questionnaire

KEY_PREFIX = 8  # characters of the draft key on a button (callback data is 64 bytes at most)


def facts_of(ctx: BotContext, draft: CallDraft) -> Facts:
    """The patient's age from the linked birth date, the temperature from the complaint."""
    born = draft.patient.birth_date if draft.patient else None
    complaint = ctx.submission.assess(draft.complaints_text(texts.CHIPS), born)
    return Facts.known(born, complaint.temperature, ctx.clock().date())


async def ask_question(
    message: Message,
    state: FSMContext,
    questionnaire: Questionnaire,
    draft: CallDraft,
    facts: Facts,
) -> None:
    """The question the answers so far lead to (they always lead to one here)."""
    question = questionnaire.walk(draft.answers).question
    assert question is not None
    await save(state, draft)
    await state.set_state(NewCall.questionnaire)
    step = len(draft.answers)
    number = questionnaire.asked(draft.answers, facts) + 1
    await message.answer(
        texts.question(number, question.text, question.hint),
        reply_markup=keyboards.question(question, draft.key[:KEY_PREFIX], step),
    )


async def advance(
    message: Message,
    state: FSMContext,
    ctx: BotContext,
    sender: Sender,
    questionnaire: Questionnaire,
    draft: CallDraft,
) -> None:
    """Answer what the facts answer, then stop at an exit, note the outcome or ask."""
    facts = facts_of(ctx, draft)
    answers = questionnaire.answer_known(draft.answers, facts)
    walk = questionnaire.walk(answers)
    draft = draft.model_copy(update={"answers": answers})
    if walk.exit is not None:
        flag = RedFlag(FLAG_PREFIX + walk.exit.id, walk.exit.reason)
        await stop_emergency(message, state, ctx, sender, draft, [flag])
        return
    if walk.outcome is None:
        await ask_question(message, state, questionnaire, draft, facts)
        return
    draft = draft.model_copy(update={"coded_at": ctx.clock(), "safety_step": 0})
    await message.answer(texts.reason_noted(walk.outcome.text))
    await message.answer(texts.SAFETY_INTRO)
    await ask_safety(message, state, draft)


async def begin(
    message: Message, state: FSMContext, ctx: BotContext, sender: Sender, draft: CallDraft
) -> None:
    """After the complaints: the questionnaire when the MO keeps it on, else the safety checks."""
    if ctx.questionnaire is None:
        await message.answer(texts.SAFETY_INTRO)
        await ask_safety(message, state, draft.model_copy(update={"safety_step": 0}))
        return
    await message.answer(texts.QUESTIONNAIRE_INTRO)
    fresh = draft.model_copy(update={"answers": [], "coded_at": None})
    await advance(message, state, ctx, sender, ctx.questionnaire, fresh)


async def reply(
    query: CallbackQuery, callback_data: keyboards.Reply, state: FSMContext, ctx: BotContext
) -> None:
    draft = await load(state, CallDraft)
    questionnaire = ctx.questionnaire
    if (
        draft is None
        or questionnaire is None
        or not isinstance(query.message, Message)
        or await state.get_state() != NewCall.questionnaire.state
        or callback_data.key != draft.key[:KEY_PREFIX]
        or callback_data.step != len(draft.answers)
    ):
        await query.answer(texts.STALE_BUTTON)
        return
    await query.answer()
    if callback_data.index < 0:
        facts = facts_of(ctx, draft)
        if not questionnaire.asked(draft.answers, facts):
            await ask_complaints(query.message, state, draft)
            return
        back = draft.model_copy(update={"answers": questionnaire.back(draft.answers, facts)})
        await ask_question(query.message, state, questionnaire, back, facts)
        return
    question = questionnaire.walk(draft.answers).question
    if question is None or callback_data.index >= len(question.answers):
        await query.answer(texts.STALE_BUTTON)
        return
    answers = [*draft.answers, question.answers[callback_data.index].id]
    draft = draft.model_copy(update={"answers": answers})
    await advance(query.message, state, ctx, sender_of(query), questionnaire, draft)


async def typed_reply(message: Message, state: FSMContext, ctx: BotContext) -> None:
    """An answer typed instead of pressed («да», «нет», a button's words); else ask again."""
    draft = await load(state, CallDraft)
    questionnaire = ctx.questionnaire
    if draft is None or questionnaire is None:
        return
    question = questionnaire.walk(draft.answers).question
    if question is None:
        return
    index = typed_answer(message.text, [answer.text for answer in question.answers])
    if index is None:
        await message.answer(texts.ANSWER_WITH_BUTTON)
        await ask_question(message, state, questionnaire, draft, facts_of(ctx, draft))
        return
    draft = draft.model_copy(update={"answers": [*draft.answers, question.answers[index].id]})
    await advance(message, state, ctx, sender_of(message), questionnaire, draft)


def router() -> Router:
    """Any questionnaire button, whatever the state: a stale one is answered, not dropped."""
    router = Router(name="questionnaire")
    router.callback_query.register(reply, keyboards.Reply.filter())
    router.message.register(typed_reply, NewCall.questionnaire, TYPED)
    return router
