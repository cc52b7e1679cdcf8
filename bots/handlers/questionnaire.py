"""The reason-code questionnaire, asked only where the dialog does not know the answer.

Each button carries the number of answers given before it and the start of the dialog's key,
so a double tap, a redelivered callback or a button from an older dialog finds the position
moved on and is only told so. What is already known is not asked: the patient is at home (the
bot calls a doctor to the address), the age comes from the linked birth date, the temperature
and what the complaint is about from the complaint (`bots.implied`); the answers they choose
are put in the list as if pressed — an exit behind them still stops.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bots import keyboards, texts
from bots.context import BotContext
from bots.draft import CallDraft, NewCall, load
from bots.dto import sender_of
from bots.handlers.flow import KEY_PREFIX, advance, ask_question, more_complaint, step_back
from bots.handlers.typed import TYPED, typed_answer


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
        await step_back(query.message, state, ctx, sender_of(query), draft)
        return
    question = questionnaire.walk(draft.answers).question
    if question is None or callback_data.index >= len(question.answers):
        await query.answer(texts.STALE_BUTTON)
        return
    answers = [*draft.answers, question.answers[callback_data.index].id]
    draft = draft.model_copy(update={"answers": answers})
    await advance(query.message, state, ctx, sender_of(query), questionnaire, draft, tapped=True)


async def typed_reply(message: Message, state: FSMContext, ctx: BotContext) -> None:
    """An answer typed instead of pressed («да», «нет», a button's words); other words add to
    the complaint (they were triaged already) and the question stays."""
    draft = await load(state, CallDraft)
    questionnaire = ctx.questionnaire
    if draft is None or questionnaire is None:
        return
    question = questionnaire.walk(draft.answers).question
    if question is None:
        return
    index = typed_answer(message.text, [answer.text for answer in question.answers])
    if index is None:
        draft = await more_complaint(message, draft)
        await ask_question(message, state, questionnaire, draft)
        return
    draft = draft.model_copy(update={"answers": [*draft.answers, question.answers[index].id]})
    await advance(message, state, ctx, sender_of(message), questionnaire, draft, tapped=True)


def router() -> Router:
    """Any questionnaire button, whatever the state: a stale one is answered, not dropped."""
    router = Router(name="questionnaire")
    router.callback_query.register(reply, keyboards.Reply.filter())
    router.message.register(typed_reply, NewCall.questionnaire, TYPED)
    return router
