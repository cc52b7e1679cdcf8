"""Word tables of Russian addresses: type words, abbreviations, component markers, ordinals."""

from __future__ import annotations

from enum import Enum


class Role(Enum):
    """What a marker word announces: a named part (region..street) or a numbered one."""

    REGION = "region"
    DISTRICT = "district"
    CITY = "city"
    STREET = "street"
    HOUSE = "house"
    PLOT = "plot"  # участок: a house number of a private plot
    KORPUS = "korpus"
    KORPUS_OR_FLAT = "korpus_or_flat"  # bare «к.»: корпус or, in registry exports, the flat
    BUILDING = "building"
    LETTER = "letter"  # литера, joined to the house number
    FLAT = "flat"
    ENTRANCE = "entrance"
    FLOOR = "floor"
    PREMISES = "premises"  # офис, помещение, кладовая: not a flat, its number is dropped


NAMED_ROLES = frozenset({Role.REGION, Role.DISTRICT, Role.CITY, Role.STREET})
NUMBERED_ROLES = frozenset(Role) - NAMED_ROLES

# Street types as the eval README spells them, with their grammatical gender (for agreement).
STREET_TYPE_GENDER: dict[str, str] = {
    "улица": "femn",
    "проспект": "masc",
    "переулок": "masc",
    "шоссе": "neut",
    "бульвар": "masc",
    "площадь": "femn",
    "проезд": "masc",
    "тупик": "masc",
    "набережная": "femn",
    "микрорайон": "masc",
    "квартал": "masc",
    "аллея": "femn",
    "тракт": "masc",
    "линия": "femn",
    "территория": "femn",
}

# Types that name an area rather than a street: a real street written beside them wins.
AREA_STREET_TYPES = frozenset({"микрорайон", "квартал", "территория"})

# Garden and dacha partnerships: their plots are private houses.
PRIVATE_TERRITORY_WORDS = frozenset({"снт", "днт", "днп", "тсн", "сот", "дск", "сдт", "с/т"})

# Abbreviation or word form (lowercase, ё as е, without the trailing dot) -> street type.
# Full words are listed in the nominative; their other case forms are added by
# `street_type_forms()` so that «на улице», «по проспекту» are recognised too.
STREET_TYPE_WORDS: dict[str, str] = {
    "ул": "улица",
    "улиц": "улица",
    "пр-кт": "проспект",
    "пр-т": "проспект",
    "прт": "проспект",
    "пркт": "проспект",
    "просп": "проспект",
    "прсп": "проспект",
    "прос": "проспект",
    "пр-том": "проспект",
    "пр": "проспект",  # or проезд: decided by the street catalog
    "прспект": "проспект",
    "проcпект": "проспект",
    "пр-д": "проезд",
    "прд": "проезд",
    "пр-зд": "проезд",
    "пер": "переулок",
    "переул": "переулок",
    "ш": "шоссе",
    "шос": "шоссе",
    "б-р": "бульвар",
    "бул": "бульвар",
    "бульв": "бульвар",
    "пл": "площадь",
    "туп": "тупик",
    "наб": "набережная",
    "мкр": "микрорайон",
    "мкрн": "микрорайон",
    "мкр-н": "микрорайон",
    "м-н": "микрорайон",
    "мк-н": "микрорайон",
    "кв-л": "квартал",
    "квл": "квартал",
    "кварт": "квартал",
    "ал": "аллея",
    "тр": "тракт",
    "лин": "линия",
    "тер": "территория",
    "тск": "территория",
    "снт": "территория",
    "днт": "территория",
    "днп": "территория",
    "тсн": "территория",
    "сот": "территория",
    "дск": "территория",
    "сдт": "территория",
    "с/т": "территория",  # садовое товарищество
    **{name: name for name in STREET_TYPE_GENDER},
}

# Settlement types (their names go to `city`).
CITY_TYPE_WORDS: dict[str, str] = {
    "г": "город",
    "гор": "город",
    "город": "город",
    "с": "село",
    "село": "село",
    "д": "деревня",
    "дер": "деревня",
    "деревня": "деревня",
    "п": "поселок",
    "пос": "поселок",
    "поселок": "поселок",
    "пгт": "поселок",
    "рп": "поселок",
    "р.п": "поселок",
    "кп": "поселок",
    "дп": "поселок",
    "х": "хутор",
    "хут": "хутор",
    "хутор": "хутор",
    "ст-ца": "станица",
    "станица": "станица",
    "сл": "слобода",
    "слобода": "слобода",
    "аул": "аул",
}

# Settlements without apartment blocks: a house there is a private house.
RURAL_CITY_TYPES = frozenset({"село", "деревня", "поселок", "хутор", "станица", "слобода", "аул"})

REGION_TYPE_WORDS: dict[str, str] = {
    "обл": "femn",
    "область": "femn",
    "области": "femn",
    "край": "masc",
    "края": "masc",
    "респ": "",
    "республика": "",
}

# (district type word, gender of its adjective; "" = a proper name, e.g. г.о. Солнечногорск)
DISTRICT_TYPE_WORDS: dict[str, str] = {
    "р-н": "masc",
    "р-он": "masc",
    "рн": "masc",
    "район": "masc",
    "района": "masc",
    "г.о": "",
    "го": "",
    "г/о": "",
    "м.р-н": "masc",
    "округ": "",
}

# Standalone region abbreviations.
REGION_ABBREVIATIONS: dict[str, str] = {
    "мо": "Московская",
    "мос": "Московская",
    "моск": "Московская",
    "ло": "Ленинградская",
    "лен": "Ленинградская",
    "белгор": "Белгородская",
    # Autonomous okrugs and oblast written by their official abbreviations.
    "хмао": "Ханты-Мансийский",
    "хмао-югра": "Ханты-Мансийский",
    "янао": "Ямало-Ненецкий",
    "нао": "Ненецкий",
    "чао": "Чукотский",
    "еао": "Еврейская",
}

NUMBERED_MARKERS: dict[str, Role] = {
    "д": Role.HOUSE,
    "дом": Role.HOUSE,
    "дома": Role.HOUSE,
    "домом": Role.HOUSE,
    "вл": Role.HOUSE,
    "влад": Role.HOUSE,
    "владение": Role.HOUSE,
    "владения": Role.HOUSE,
    "вл-е": Role.HOUSE,
    "двлд": Role.HOUSE,
    "домовл": Role.HOUSE,
    "домовладение": Role.HOUSE,
    "уч": Role.PLOT,
    "участок": Role.PLOT,
    "уч-к": Role.PLOT,
    "з/у": Role.PLOT,
    "корп": Role.KORPUS,
    "кор": Role.KORPUS,
    "корпус": Role.KORPUS,
    "копр": Role.KORPUS,
    "крп": Role.KORPUS,
    "к": Role.KORPUS_OR_FLAT,
    "стр": Role.BUILDING,
    "строение": Role.BUILDING,
    "ст": Role.BUILDING,
    "лит": Role.LETTER,
    "литер": Role.LETTER,
    "литера": Role.LETTER,
    "буква": Role.LETTER,
    "кв": Role.FLAT,
    "квар": Role.FLAT,
    "квартира": Role.FLAT,
    "кв-ра": Role.FLAT,
    "вк": Role.FLAT,
    "п-д": Role.ENTRANCE,
    "пд": Role.ENTRANCE,
    "под": Role.ENTRANCE,
    "подъезд": Role.ENTRANCE,
    "подьезд": Role.ENTRANCE,
    "подезд": Role.ENTRANCE,
    "подъез": Role.ENTRANCE,
    "пад": Role.ENTRANCE,
    "парадная": Role.ENTRANCE,
    "п": Role.ENTRANCE,
    "эт": Role.FLOOR,
    "этаж": Role.FLOOR,
    "этж": Role.FLOOR,
    "етаж": Role.FLOOR,
    "эж": Role.FLOOR,
    "оф": Role.PREMISES,
    "офис": Role.PREMISES,
    "пом": Role.PREMISES,
    "помещ": Role.PREMISES,
    "помещение": Role.PREMISES,
    "комн": Role.PREMISES,
    "комната": Role.PREMISES,
    "каб": Role.PREMISES,
    "кабинет": Role.PREMISES,
    "кладовая": Role.PREMISES,
    "бокс": Role.PREMISES,
    "павильон": Role.PREMISES,
    "пав": Role.PREMISES,
    "машиноместо": Role.PREMISES,
    "секция": Role.PREMISES,
}

# Markers of entrance/floor may follow their number: «2 подъезд», «5 под.», «7 эт.».
POSTFIX_ROLES = frozenset({Role.ENTRANCE, Role.FLOOR})

ORDINALS: dict[str, str] = {
    f"{stem}{ending}": digit
    for digit, stems in {
        "1": ("перв",),
        "2": ("втор",),
        "3": ("трет",),
        "4": ("четверт", "четвёрт"),
        "5": ("пят",),
        "6": ("шест",),
        "7": ("седьм",),
        "8": ("восьм",),
        "9": ("девят",),
        "10": ("десят",),
        "11": ("одиннадцат",),
        "12": ("двенадцат",),
    }.items()
    for stem in stems
    for ending in ("ый", "ой", "ий", "ья", "ая", "ом", "ем", "ьем", "ого", "его", "ьего", "ий")
}

# Spoken cardinal numbers: word -> (value, place), place 1 for units and teens, 10, 100.
CARDINALS: dict[str, tuple[int, int]] = {
    **{
        word: (value, 1)
        for value, words in {
            1: ("один", "одна", "одно"),
            2: ("два", "две"),
            3: ("три",),
            4: ("четыре",),
            5: ("пять",),
            6: ("шесть",),
            7: ("семь",),
            8: ("восемь",),
            9: ("девять",),
            10: ("десять",),
            11: ("одиннадцать",),
            12: ("двенадцать",),
            13: ("тринадцать",),
            14: ("четырнадцать",),
            15: ("пятнадцать",),
            16: ("шестнадцать",),
            17: ("семнадцать",),
            18: ("восемнадцать",),
            19: ("девятнадцать",),
        }.items()
        for word in words
    },
    "двадцать": (20, 10),
    "тридцать": (30, 10),
    "сорок": (40, 10),
    "пятьдесят": (50, 10),
    "шестьдесят": (60, 10),
    "семьдесят": (70, 10),
    "восемьдесят": (80, 10),
    "девяносто": (90, 10),
    "сто": (100, 100),
    "двести": (200, 100),
    "триста": (300, 100),
    "четыреста": (400, 100),
    "пятьсот": (500, 100),
    "шестьсот": (600, 100),
    "семьсот": (700, 100),
    "восемьсот": (800, 100),
    "девятьсот": (900, 100),
}

# Ordinal suffixes written after a digit: «3-й», «3-я», «2-ой».
ORDINAL_SUFFIXES = frozenset({"й", "я", "ий", "ый", "ой", "ая", "е", "ое", "го", "ого", "м", "ом"})

MONTHS_GENITIVE = frozenset(
    {
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    }
)

# Words that are not part of any name: prepositions, greetings, request phrases; they end a name.
NOISE_WORDS = frozenset(
    {
        "в",
        "во",
        "на",
        "по",
        "из",
        "у",
        "адрес",
        "адресу",
        "здравствуйте",
        "добрый",
        "доброе",
        "день",
        "вечер",
        "утро",
        "пожалуйста",
        "спасибо",
        "нужен",
        "нужна",
        "нужно",
        "врач",
        "врача",
        "вызов",
        "вызвать",
        "прошу",
        "живу",
        "живем",
        "проживаю",
        "проживает",
        "я",
        "мы",
        "наш",
        "мой",
        "приезжайте",
        "ждем",
        "квартира",
        "россия",
        "рф",
        "с.п",
    }
)

# Abbreviated first words of street names («Б. Серпуховская», «Ср. Кисловский»), by gender.
ABBREVIATED_NAME_ADJECTIVES: dict[str, dict[str, str]] = {
    short: {"masc": masc, "femn": femn, "neut": neut}
    for shorts, (masc, femn, neut) in {
        ("б", "бол"): ("Большой", "Большая", "Большое"),
        ("м", "мал"): ("Малый", "Малая", "Малое"),
        ("ср", "сред"): ("Средний", "Средняя", "Среднее"),
        ("верх",): ("Верхний", "Верхняя", "Верхнее"),
        ("нижн", "ниж"): ("Нижний", "Нижняя", "Нижнее"),
        ("нов",): ("Новый", "Новая", "Новое"),
        ("стар",): ("Старый", "Старая", "Старое"),
    }.items()
    for short in shorts
}

# Words kept lowercase inside a name: «50 лет Октября», «имени Ленина».
LOWERCASE_NAME_WORDS = frozenset({"лет", "имени", "им", "и", "де", "ла", "на", "реки", "канала"})
# ... of them, those lowercase even at the start: «наб. реки Фонтанки».
LEADING_LOWERCASE_NAME_WORDS = frozenset({"реки", "канала"})

# Cities of federal significance: other towns and settlements lie inside them.
FEDERAL_CITIES = frozenset({"Москва", "Санкт-Петербург", "Севастополь"})

# Cities whose buildings are numbered by корпус only: a bare number there is the корпус.
KORPUS_NUMBERED_CITIES = frozenset({"Зеленоград"})

# Letters that may follow a house number as its litera, even when written apart («10 Б»).
HOUSE_LETTERS = frozenset("абвгдежзи")
