"""Everything a patient reads in the bot, in one place (Russian)."""

from __future__ import annotations

from datetime import date

from intake_core.planning import CUTOFF_SCRIPT

CUTOFF_NOTICE = CUTOFF_SCRIPT

WELCOME = (
    "Здравствуйте! Это бот поликлиники для вызова врача на дом.\n\n"
    "Что умеет бот: оформить вызов участкового врача или педиатра на дом, показать ваши "
    "вызовы и их статус, отменить вызов, сообщать о каждом изменении статуса.\n\n"
    "Чего бот НЕ делает: не вызывает скорую помощь и не консультирует. "
    "При угрозе жизни (трудно дышать, сильная боль в груди, потеря сознания, судороги, "
    "сильное кровотечение) сразу звоните 103 или 112.\n\n"
    "Персональные данные. Бот запросит ваш номер телефона, ФИО, дату рождения и полис "
    "пациента и адрес — только чтобы оформить вызов и сообщать вам его статус (152-ФЗ). "
    "В сообщениях бота не бывает жалоб и диагнозов. Нажимая «Поделиться номером», вы "
    "соглашаетесь на обработку этих данных поликлиникой."
)
ASK_CONTACT = "Нажмите кнопку «Поделиться номером» внизу экрана."
SHARE_CONTACT = "📱 Поделиться номером"
FOREIGN_CONTACT = (
    "Это чужой контакт. Поделитесь, пожалуйста, своим номером кнопкой «Поделиться номером»."
)
BAD_PHONE = "Не удалось распознать номер телефона. Попробуйте ещё раз."
CONTACT_SAVED = "Спасибо, номер сохранён."
NEED_CONTACT = "Сначала поделитесь номером телефона: нажмите /start."

MENU_CALL = "🩺 Вызвать врача"
MENU_MY = "📋 Мои вызовы"
MENU_LINK = "👤 Добавить пациента"
MENU_HELP = "❓ Помощь"
MENU = "Выберите действие в меню внизу."

HELP = (
    "Команды:\n"
    "/call — вызвать врача на дом\n"
    "/my — мои вызовы, отмена вызова\n"
    "/link — добавить пациента (ребёнка, родителя)\n"
    "/cancel — выйти из текущего шага\n"
    "/help — эта справка\n\n"
    "Вызов после 13:00 может быть назначен на следующий рабочий день.\n"
    "При угрозе жизни бот не поможет — звоните 103 или 112."
)
CANCELLED_DIALOG = "Хорошо, отменено. Чем ещё помочь?"
NOTHING_TO_CANCEL = "Сейчас нечего отменять."
THROTTLED = "Слишком много сообщений подряд. Подождите несколько секунд."
INTERNAL_ERROR = (
    "Извините, что-то пошло не так. Попробуйте ещё раз через минуту. "
    "Если срочно нужна помощь — звоните 103 или 112."
)
STALE_BUTTON = "Эта кнопка уже неактуальна."

# linking a patient
LINK_START = "Добавим пациента. Как удобнее его найти?"
LINK_BY_POLICY = "По полису ОМС"
LINK_BY_NAME = "По ФИО и дате рождения"
ASK_POLICY = "Введите номер полиса ОМС (ЕНП) — 16 цифр."
ASK_BIRTH_DATE = "Дата рождения пациента в виде ДД.ММ.ГГГГ, например 02.03.2015."
ASK_FULL_NAME = "Фамилия, имя и отчество пациента (через пробел)."
BAD_FULL_NAME = "Нужны хотя бы фамилия и имя через пробел, например: Иванова Мария Петровна."
LINK_NOT_IN_REGISTRY = (
    "В картотеке поликлиники такой пациент не найден — ничего страшного, вызов можно "
    "оформить. Введите фамилию, имя и отчество пациента."
)


def linked(person: str) -> str:
    return f"Пациент добавлен: {person}."


NO_PATIENTS = "Сначала добавьте пациента, к которому вызываем врача."

# a new call
WHO = "Кого вызываем врача?"
ADD_ANOTHER = "➕ Другой человек"
ASK_ADDRESS = (
    "Адрес, куда прийти врачу: город, улица, дом, корпус, квартира.\n"
    "Например: Химки, ул. Молодежная, д. 63, корп. 2, кв. 54"
)
ASK_ADDRESS_OR_SAVED = "Выберите адрес или напишите новый: город, улица, дом, квартира."
ADDRESS_NOT_UNDERSTOOD = (
    "Не удалось разобрать адрес: нужны хотя бы улица и дом. Напишите, например: "
    "Химки, ул. Молодежная, д. 63, кв. 54"
)
IS_IT_RIGHT = "Это верно?"
YES_RIGHT = "✅ Да, верно"
FIX = "✏️ Исправить"
ADDRESS_FIELDS = {
    "city": "Город",
    "street": "Улица",
    "house": "Дом",
    "korpus": "Корпус",
    "building": "Строение",
    "flat": "Квартира",
}
DISTRICT_UNKNOWN = (
    "Участок по этому адресу не найден автоматически — оператор поликлиники проверит адрес."
)


def address_card(fields: dict[str, str | None], mo_name: str | None, district: str | None) -> str:
    lines = [f"{ADDRESS_FIELDS[key]}: {value or '—'}" for key, value in fields.items()]
    if mo_name and district:
        lines.append(f"Поликлиника: {mo_name}\nУчасток: {district}")
    else:
        lines.append(DISTRICT_UNKNOWN)
    return "Адрес:\n" + "\n".join(lines) + "\n\n" + IS_IT_RIGHT


def ask_field(label: str) -> str:
    return f"{label}: введите новое значение (или «-», чтобы оставить пустым)."


WHICH_FIELD = "Что исправить?"
ASK_ENTRANCE = "Подъезд (номер)?"
ASK_FLOOR = "Этаж?"
ASK_INTERCOM = "Код домофона?"
SKIP = "Пропустить"
ONLY_DIGITS = "Только цифры, пожалуйста, или нажмите «Пропустить»."

ASK_COMPLAINTS = (
    "Что беспокоит? Отметьте жалобы кнопками и/или напишите своими словами, затем нажмите «Готово»."
)
CHIPS = (
    "Температура",
    "Кашель",
    "Боль в горле",
    "Насморк",
    "Давление",
    "Боль в голове",
    "Головокружение",
    "Боль в животе",
    "Рвота",
    "Диарея",
    "Сыпь",
    "Общая слабость",
    "Патронаж",
    "Констатация смерти",
)
DONE = "Готово"
NO_COMPLAINTS = "Отметьте хотя бы одну жалобу или напишите, что беспокоит."


def complaints_noted(text: str) -> str:
    return f"Записал: {text}\nМожно добавить ещё или нажать «Готово»."


QUESTIONNAIRE_INTRO = (
    "Ответьте, пожалуйста, на несколько вопросов — так мы поймём, какой врач нужен."
)
BACK = "« Назад"


def question(number: int, text: str, hint: str | None) -> str:
    lines = [f"Вопрос {number}. {text}"]
    if hint:
        lines.append(hint)
    return "\n".join(lines)


def reason_noted(text: str) -> str:
    return f"Спасибо! Повод вызова: {text}."


SAFETY_INTRO = "Несколько коротких вопросов о безопасности."
ANSWER_WITH_BUTTON = "Не понял ответ. Выберите его кнопкой под вопросом."
YES = "Да"
NO = "Нет"
# (code, question, the reason told to the patient when the answer is «да»)
SAFETY_QUESTIONS = (
    ("breathing", "Трудно дышать, не хватает воздуха?", "затруднённое дыхание"),
    ("chest_pain", "Сильная боль или давление в груди?", "боль в груди"),
    ("consciousness", "Терял(а) сознание или сейчас трудно разбудить?", "нарушение сознания"),
    (
        "stroke",
        "Внезапно нарушилась речь, перекосило лицо или ослабла рука/нога?",
        "признаки инсульта",
    ),
    ("seizures", "Были судороги?", "судороги"),
    ("bleeding", "Сильное кровотечение, которое не останавливается?", "сильное кровотечение"),
)


def emergency(reasons: list[str]) -> str:
    # a doubtful sign's reason ends with what the agent should ask («— уточните …»): the patient
    # reads only the sign
    reason = ", ".join(dict.fromkeys(r.split(" — уточните")[0] for r in reasons))
    return (
        "🚨 СРОЧНО ЗВОНИТЕ 103 ИЛИ 112.\n\n"
        f"Причина: {reason}. Это может быть неотложное состояние — врач на дом не поможет "
        "вовремя. Вызов на дом НЕ оформлен.\n\n"
        "Срочно звоните 103 или 112."
    )


CONTINUE = "Продолжить"
STOP = "Отменить"


def summary(
    person: str, address: str, extra: str, complaints: str, planned: date, mo_name: str | None
) -> str:
    lines = [
        "Проверьте вызов:",
        f"Пациент: {person}",
        f"Адрес: {address}",
    ]
    if extra:
        lines.append(extra)
    lines.append(f"Жалобы: {complaints}")
    if mo_name:
        lines.append(f"Поликлиника: {mo_name}")
    lines.append(f"Ориентировочная дата визита: {planned:%d.%m.%Y}")
    return "\n".join(lines)


def address_extra(entrance: str | None, floor: str | None, intercom: str | None) -> str:
    parts = []
    for label, value in (("подъезд", entrance), ("этаж", floor), ("домофон", intercom)):
        if value:
            parts.append(f"{label} {value}")
    return ", ".join(parts).capitalize()


CONFIRM = "✅ Подтвердить"
SUBMITTED = (
    "Заявка отправлена в поликлинику. Номер вызова пришлю сообщением через несколько секунд."
)
ALREADY_SUBMITTED = "Эта заявка уже отправлена — номер вызова придёт сообщением."
NOTHING_TO_CONFIRM = "Эта заявка уже не активна. Начните заново: /call"

# my calls
NO_CALLS = "У вас пока нет вызовов."
MY_CALLS = "Ваши вызовы:"
CANCEL_CALL = "Отменить № {number}"
ASK_CANCEL_REASON = "Почему отменяете вызов № {number}? Выберите или напишите свою причину."
CANCEL_REASONS = (
    "Стало лучше",
    "Обращусь в поликлинику сам",
    "Вызов оформлен по ошибке",
)


def call_line(number: int, status: str, planned: date, person: str) -> str:
    return f"№ {number} · {person} · {planned:%d.%m.%Y} · {status}"


def cancelled_by_patient(number: int) -> str:
    return f"Вызов № {number} отменён."


def withdrawn(number: int) -> str:
    return (
        f"Ваша заявка отозвана, но вызов № {number} не отменён: врача на этот вызов просили "
        "и по другому обращению. Чтобы отменить вызов полностью, позвоните в регистратуру."
    )


# status notifications: number, date, doctor and MO only — never complaints or diagnoses
def accepted(number: int, planned: date, mo_name: str) -> str:
    return (
        f"Вызов принят: Карта вызова № {number}.\n"
        f"Поликлиника: {mo_name}\n"
        f"Планируемая дата визита: {planned:%d.%m.%Y}.\n"
        "Врач может позвонить перед визитом. Статус: /my"
    )


def pending(number: int, mo_name: str) -> str:
    return (
        f"Вызов зарегистрирован: Карта вызова № {number}.\n"
        f"Поликлиника: {mo_name}\n"
        "Оператор проверит адрес и подтвердит вызов — я сообщу."
    )


def merged(number: int) -> str:
    return (
        f"Такой вызов уже оформлен ранее: Карта вызова № {number}. "
        "Второй вызов не создан, врач придёт по этому."
    )


def assigned(number: int, doctor: str, planned: date, window: str | None) -> str:
    text = f"По вызову № {number} назначен врач: {doctor}.\nДата визита: {planned:%d.%m.%Y}"
    if window:
        text += f", {window}"
    return text + "."


def unassigned(number: int) -> str:
    return f"По вызову № {number} врач будет назначен заново — я сообщу."


def served(number: int) -> str:
    return f"Вызов № {number} выполнен: врач у вас был. Выздоравливайте!"


def cancelled(number: int) -> str:
    return (
        f"Вызов № {number} отменён. Если врач всё ещё нужен — оформите вызов снова: /call. "
        "Вопросы — по телефону поликлиники."
    )


def transferred(number: int, mo_name: str, new_number: int | None) -> str:
    text = f"Вызов № {number} передан в другую поликлинику: {mo_name}."
    if new_number:
        text += f" Новый номер вызова: {new_number}."
    return text


def rejected(reasons: list[str]) -> str:
    """The spine refused the intake: why, in its own words, and what to do next."""
    lines = "\n".join(f"• {r}" for r in dict.fromkeys(r for r in reasons if r))
    return (
        "К сожалению, поликлиника не смогла принять вызов — врач по этой заявке не придёт.\n"
        + (f"Причина:\n{lines}\n" if lines else "")
        + "\nПроверьте данные и оформите вызов снова: /call. Если не получается — позвоните "
        "в регистратуру поликлиники. При угрозе жизни звоните 103 или 112."
    )


MENU_BUTTONS = (MENU_CALL, MENU_MY, MENU_LINK, MENU_HELP)
