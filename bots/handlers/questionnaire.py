"""The reason-code questionnaire in the new-call dialog: the desk's tree, one button per answer.

The position is the list of answers in the draft; every button carries the step it answers and
the start of the dialog's key, so a double tap, a redelivered callback or a button from an older
dialog finds the position moved on and is only told so.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bots import keyboards, texts
from bots.context import BotContext
from bots.draft import CallDraft, NewCall, load, save
from bots.dto import sender_of
from bots.handlers.flow import ask_complaints, ask_safety, stop_emergency
from dispatcher.services.red_flag import FLAG_PREFIX
from intake_core.call import RedFlag
from intake_core.questionnaire import Questionnaire

KEY_PREFIX = 8  # characters of the draft key on a button (callback data is 64 bytes at most)


async def ask_question(
    message: Message, state: FSMContext, questionnaire: Questionnaire, draft: CallDraft
) -> None:
    """The question the answers so far lead to (they always lead to one here)."""
    question = questionnaire.walk(draft.answers).question
    assert question is not None
    await save(state, draft)
    await state.set_state(NewCall.questionnaire)
    step = len(draft.answers)
    await message.answer(
        texts.question(step + 1, question.text, question.hint),
        reply_markup=keyboards.question(question, draft.key[:KEY_PREFIX], step),
    )


async def begin(message: Message, state: FSMContext, ctx: BotContext, draft: CallDraft) -> None:
    """After the complaints: the questionnaire when the MO keeps it on, else the safety checks."""
    if ctx.questionnaire is None:
        await message.answer(texts.SAFETY_INTRO)
        await ask_safety(message, state, draft.model_copy(update={"safety_step": 0}))
        return
    await message.answer(texts.QUESTIONNAIRE_INTRO)
    fresh = draft.model_copy(update={"answers": [], "coded_at": None})
    await ask_question(message, state, ctx.questionnaire, fresh)


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
        if not draft.answers:
            await ask_complaints(query.message, state, draft)
            return
        back = draft.model_copy(update={"answers": draft.answers[:-1]})
        await ask_question(query.message, state, questionnaire, back)
        return
    question = questionnaire.walk(draft.answers).question
    if question is None or callback_data.index >= len(question.answers):
        await query.answer(texts.STALE_BUTTON)
        return
    answers = [*draft.answers, question.answers[callback_data.index].id]
    walk = questionnaire.walk(answers)
    draft = draft.model_copy(update={"answers": answers})
    if walk.exit is not None:
        flag = RedFlag(FLAG_PREFIX + walk.exit.id, walk.exit.reason)
        await stop_emergency(query.message, state, ctx, sender_of(query), draft, [flag])
        return
    if walk.outcome is None:
        await ask_question(query.message, state, questionnaire, draft)
        return
    draft = draft.model_copy(update={"coded_at": ctx.clock(), "safety_step": 0})
    await query.message.answer(texts.reason_noted(walk.outcome.text))
    await query.message.answer(texts.SAFETY_INTRO)
    await ask_safety(query.message, state, draft)


def router() -> Router:
    """Any questionnaire button, whatever the state: a stale one is answered, not dropped."""
    router = Router(name="questionnaire")
    router.callback_query.register(reply, keyboards.Reply.filter())
    return router
