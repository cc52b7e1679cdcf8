"""Everything a patient reads in the bot, in one place (Russian)."""

from __future__ import annotations

from datetime import date

WELCOME = (
    "Здравствуйте! Это бот поликлиники для вызова врача на дом.\n\n"
    "Что умеет бот: оформить вызов участкового врача или педиатра на дом, показать ваши "
    "вызовы и их статус, отменить вызов, сообщать о каждом изменении статуса.\n\n"
    "Чего бот НЕ делает: не вызывает скорую помощь и не консультирует. "
    "При угрозе жизни (трудно дышать, сильная боль в груди, потеря сознания, судороги, "
    "сильное кровотечение) сразу звоните 103 или 112.\n\n"
    "Персональные данные. Бот запросит ваш номер телефона, ФИО, дату рождения и полис "
    "пациента и адрес — только чтобы оформить вызов и сообщать вам его статус (152-ФЗ). "
    "Жалобу бот показывает один раз — в заявке перед отправкой, чтобы вы её проверили; "
    "в сообщениях о статусе вызова и в списке вызовов жалоб и диагнозов нет. "
    "Нажимая «Поделиться номером», вы соглашаетесь на обработку этих данных поликлиникой."
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
    "Заявки после 13:00 (время поликлиники может быть другим) и в выходные врач посещает "
    "на следующий рабочий день — бот называет дату перед отправкой.\n"
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
    return f"Пациент добавлен: {person}"


NO_PATIENTS = "Сначала добавьте пациента, к которому нужен врач."

# a new call
WHO = "Кому нужен врач?"
ADD_ANOTHER = "➕ Другой человек"
ASK_ADDRESS = (
    "Куда прийти врачу? Напишите адрес одним сообщением: город, улица, дом, квартира, "
    "и если есть — подъезд, этаж, код домофона.\n"
    "Например: Химки, ул. Молодежная, д. 63, кв. 54, подъезд 2, этаж 3"
)
ASK_ADDRESS_OR_SAVED = (
    "Куда прийти врачу? Нажмите адрес или напишите новый: город, улица, дом, квартира, "
    "подъезд, этаж."
)
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
    lines = [f"{ADDRESS_FIELDS[key]}: {value or 'не указан'}" for key, value in fields.items()]
    if mo_name and district:
        lines.append(f"Поликлиника: {mo_name}\nУчасток: {district}")
    else:
        lines.append(DISTRICT_UNKNOWN)
    return "Адрес:\n" + "\n".join(lines) + "\n\n" + IS_IT_RIGHT


def ask_field(label: str) -> str:
    return f"{label}: введите новое значение (или «-», чтобы оставить пустым)."


WHICH_FIELD = "Что исправить?"
ASK_DETAILS = (
    "Подъезд, этаж и код домофона одним сообщением, например: подъезд 2, этаж 3, домофон 54К."
)
DETAILS_NOT_UNDERSTOOD = "Не разобрал. Напишите, например: подъезд 2, этаж 3, домофон 54К."
SKIP = "Пропустить"

ASK_COMPLAINTS = (
    "Что беспокоит? Напишите коротко своими словами, например: «температура 38, кашель». "
    "Или нажмите кнопку."
)
# one tap is the whole complaint; anything else is typed
CHIPS = (
    "Температура",
    "Кашель, насморк, боль в горле",
    "Давление",
    "Боль в животе, рвота",
    "Головная боль",
    "Сыпь",
    "Слабость",
    "Справка, больничный, рецепт",
)
MAX_COMPLAINT = 1000  # characters of complaint a doctor reads; the intake takes up to 4000


def too_long(length: int) -> str:
    return (
        f"Сообщение очень длинное ({length} знаков), врачу нужно коротко. Напишите, пожалуйста, "
        f"в одном-двух предложениях, что беспокоит больше всего (до {MAX_COMPLAINT} знаков)."
    )


ALSO_NOTED = "Добавил это к жалобе. Теперь ответьте, пожалуйста, на вопрос кнопкой."
BACK = "« Назад"


def question(text: str) -> str:
    return text


ANSWER_WITH_BUTTON = "Не понял ответ. Выберите его кнопкой под вопросом."
YES = "Да"
NO = "Нет"
# asked when the MO switched its questionnaire off: every red flag in one question
SAFETY_QUESTION = (
    "Есть ли сейчас что-то из этого: трудно дышать, сильная боль в груди, потеря сознания, "
    "перекосило лицо или ослабла рука, судороги, сильное кровотечение?"
)
SAFETY_REASON = "признаки неотложного состояния"


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


STOP = "Отменить"
MISTAKEN = "Если нажали «Да» по ошибке, вернитесь к вызову врача на дом:"
UNDO = "↩️ Я ошибся(лась), вернуться"
WEEKDAYS = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")


def visit_day(planned: date, today: date, cutoff: str, working_today: bool) -> str:
    """When the doctor comes and, when it is not today, why (the MO's cutoff, a day off)."""
    day = f"{WEEKDAYS[planned.weekday()]}, {planned:%d.%m}"
    if planned == today:
        return f"Врач придёт сегодня ({day})."
    why = (
        f"Заявки после {cutoff} врач посещает на следующий рабочий день"
        if working_today
        else "Заявки в выходные и праздники врач посещает в ближайший рабочий день"
    )
    return f"{why}: {day}."


def summary(
    person: str,
    address: str,
    extra: str,
    complaints: str,
    mo_name: str | None,
    district: str | None,
    day: str,
) -> str:
    lines = [
        "Проверьте вызов:",
        f"Кому: {person}",
        f"Адрес: {address}",
        extra or "Подъезд, этаж, домофон: не указаны",
        f"Что беспокоит: {complaints}",
    ]
    if mo_name:
        lines.append(f"Поликлиника: {mo_name}" + (f", {district}" if district else ""))
    else:
        lines.append(DISTRICT_UNKNOWN)
    lines.append(day)
    lines.append("Всё верно? Нажмите «Отправить».")
    return "\n".join(lines)


def address_extra(entrance: str | None, floor: str | None, intercom: str | None) -> str:
    parts = []
    for label, value in (("подъезд", entrance), ("этаж", floor), ("домофон", intercom)):
        if value:
            parts.append(f"{label} {value}")
    line = ", ".join(parts)
    return line[:1].upper() + line[1:]


CONFIRM = "✅ Отправить"
CHANGE = "✏️ Изменить"
WHAT_TO_CHANGE = "Что изменить?"
CHANGE_PATIENT = "Кому"
CHANGE_ADDRESS = "Адрес"
CHANGE_DETAILS = "Подъезд, этаж, домофон"
CHANGE_COMPLAINT = "Что беспокоит"
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
MAX_CANCEL_REASON = 300  # characters of the reason the call's history keeps


def reason_too_long(length: int) -> str:
    return (
        f"Сообщение очень длинное ({length} знаков). Напишите причину коротко "
        f"(до {MAX_CANCEL_REASON} знаков) или выберите её кнопкой."
    )


def call_line(number: int, status: str, planned: date, person: str) -> str:
    return f"№ {number} · {person} · {planned:%d.%m.%Y} · {status}"


def kept(number: int) -> str:
    return f"Хорошо, вызов № {number} не отменён."


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
    doctor = doctor.rstrip(".") + "." if doctor.endswith(".") else doctor + "."
    text = f"По вызову № {number} назначен врач: {doctor}\nДата визита: {planned:%d.%m.%Y}"
    if window:
        text += f", {window}"
    return text + "."


def unassigned(number: int) -> str:
    return f"По вызову № {number} врач будет назначен заново — я сообщу."


def served(number: int) -> str:
    return f"Вызов № {number} выполнен: врач у вас был. Выздоравливайте!"


def clinic_phone(phone: str | None) -> str:
    """How to reach the polyclinic: its number when the bot knows it."""
    return f"по телефону поликлиники {phone}" if phone else "по телефону регистратуры поликлиники"


def cancelled(number: int, phone: str | None) -> str:
    return (
        f"Вызов № {number} отменён поликлиникой. Если врач всё ещё нужен — оформите вызов "
        f"снова: /call. Узнать причину можно {clinic_phone(phone)}."
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


# what the status is, in plain words (the desk's labels speak of «МО» and «Обслуженный»)
STATUS_WORDS = {
    "pending": "проверяется поликлиникой",
    "new": "принят",
    "active": "врач назначен",
    "served": "врач был",
    "cancelled": "отменён",
    "transferred": "передан в другую поликлинику",
}

# what was sent instead of text, answered within the current step
VOICE = "Голосовые сообщения бот не слушает."
PICTURE = "Фото и картинки бот не смотрит."
OTHER_MEDIA = "Такие сообщения бот не понимает."


def not_text(kind: str, phone: str | None) -> str:
    lead = {"voice": VOICE, "picture": PICTURE}.get(kind, OTHER_MEDIA)
    return (
        f"{lead} Напишите текстом или позвоните {clinic_phone(phone)}. "
        "Вызов не прерван — ответьте на вопрос выше."
    )


USE_BUTTONS = "Выберите ответ кнопкой под сообщением выше или нажмите «Назад»."

MENU_BUTTONS = (MENU_CALL, MENU_MY, MENU_LINK, MENU_HELP)
