"""House, korpus, building, flat, entrance and floor numbers: a marker and the number after it."""

from __future__ import annotations

from nlp.address_elements import Draft, Element, Sep
from nlp.address_tokens import (
    Token,
    after_ordinal,
    glued,
    glued_num,
    glued_word,
    house_letter,
    is_number,
    number_with_letter,
    postfix_owner,
    skip,
)
from nlp.address_vocab import POSTFIX_ROLES, Role


def read_numbered(
    tokens: list[Token],
    i: int,
    j: int,
    role: Role,
    draft: Draft,
    claimed: set[int],
    elements: list[Element],
) -> int:
    """A marker followed by its number: «д. 5», «кв 12», «корп. 2», «п-д 1»."""
    if role is Role.HOUSE and draft.bare_house:
        _drop_bare_house(draft, elements)
    elements.append(Sep(house=role in (Role.HOUSE, Role.PLOT)))
    if role in (Role.HOUSE, Role.PLOT):
        end = read_house(tokens, j, draft)
        draft.plot = draft.plot or role is Role.PLOT
        return end
    value, end = number_with_letter(tokens, j)
    start, stop = tokens[j].start, tokens[end - 1].end
    if role is Role.KORPUS:
        draft.set("korpus", value, start, stop)
    elif role is Role.KORPUS_OR_FLAT and j == i + 1 and not tokens[j].spaced:
        draft.set("korpus", value, start, stop)  # «к2» glued: always корпус
    elif role is Role.KORPUS_OR_FLAT:
        draft.pending_k.append((value, start, stop, i))
    elif role is Role.BUILDING:
        draft.building_marker_at.append(i)
        draft.set("building", value, start, stop)
    elif role is Role.FLAT:
        draft.flat_marker_at.append(i)
        if glued(tokens, end, "/") and glued_word(tokens, end + 1):
            value += "/" + tokens[end + 1].text  # «кв. 39/ЖП»
            end += 2
            stop = tokens[end - 1].end
        draft.set("flat", value, start, stop)
    elif role is Role.PREMISES:
        pass  # an office or a storeroom number is not the flat
    elif role in POSTFIX_ROLES:
        owner = postfix_owner(tokens, j)
        if owner is not None and not is_number(tokens, skip(tokens, owner + 1, ".№")):
            return j  # «под 2 эт» is unusual; «2» belongs to the marker after it
        draft.set(role.value, tokens[j].key, tokens[j].start, tokens[j].end)
        draft.postfix_marker_at.append(i)
        end = after_ordinal(tokens, j)
        if glued(tokens, end, "/") and glued_num(tokens, end + 1):
            end += 2  # «эт. 3/9»: floor 3 of 9
    claimed.update(range(i, end))
    return end


def read_house(tokens: list[Token], i: int, draft: Draft) -> int:
    """A house number and what is glued to it: «10 Б», «5/2», «152к2-91», «12с1», «18-31»."""
    value = tokens[i].key
    j = i + 1
    if glued(tokens, j, "/") and glued_num(tokens, j + 1):
        value += "/" + tokens[j + 1].key
        j += 2
    letter, j = house_letter(tokens, j)
    value += letter
    if glued(tokens, j, "/") and glued_num(tokens, j + 1):
        value += "/" + tokens[j + 1].key
        j += 2
    draft.set("house", value, tokens[i].start, tokens[j - 1].end)
    if glued_word(tokens, j, ("к", "корп", "кор")):
        dot = 1 if glued(tokens, j + 1, ".") else 0  # «9к.3»
        if glued_num(tokens, j + 1 + dot):
            korpus, end = number_with_letter(tokens, j + 1 + dot)
            draft.set("korpus", korpus, tokens[j + 1 + dot].start, tokens[end - 1].end)
            j = end
    if glued_word(tokens, j, ("с", "стр")) and glued_num(tokens, j + 1):
        draft.set("building", tokens[j + 1].key, tokens[j + 1].start, tokens[j + 1].end)
        j += 2
    if glued(tokens, j, "-") and glued_num(tokens, j + 1) and after_ordinal(tokens, j + 1) == j + 2:
        draft.set("flat", tokens[j + 1].key, tokens[j + 1].start, tokens[j + 1].end)
        j += 2
    return j


def resolve_k(draft: Draft) -> None:
    """Bare «к.N» is the корпус («д.14 к.2», «к.2, кв.45»); it is the flat only in registry
    exports, where an entrance or a floor follows it with no «кв.» («10, к.94 П-д. 1»)."""
    for value, start, end, at in draft.pending_k:
        explicit_after = any(m > at for m in draft.flat_marker_at + draft.building_marker_at)
        export_flat = not draft.flat_marker_at and any(m > at for m in draft.postfix_marker_at)
        if "korpus" not in draft.values and (
            explicit_after or not export_flat or "house" not in draft.values
        ):
            draft.set("korpus", value, start, end)
        else:
            draft.set("flat", value, start, end)
    if "flat" not in draft.values and len(draft.spare_numbers) == 1:
        draft.set("flat", *draft.spare_numbers[0])
    letter = draft.values.pop("letter", None)
    if letter and "house" in draft.values:
        draft.values["house"] += letter


def _drop_bare_house(draft: Draft, elements: list[Element]) -> None:
    """«ГКБ 5, г. Нижний Новгород, ..., д. 34»: a number with «д.» before it is the house,
    not a bare number met earlier (part of an organisation's name)."""
    draft.values.pop("house", None)
    draft.spans.pop("house", None)
    draft.bare_house = False
    for element in reversed(elements):
        if isinstance(element, Sep) and element.house:
            element.house = False
            break
