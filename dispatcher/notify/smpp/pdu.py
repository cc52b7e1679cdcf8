"""SMPP 3.4 PDUs: header, bind, submit_sm/deliver_sm, receipts, segmentation by UDH."""

from __future__ import annotations

import enum
import re
import struct
from dataclasses import dataclass, field

HEADER = struct.Struct(">IIII")
INTERFACE_VERSION = 0x34
ESM_UDHI = 0x40
ESM_RECEIPT = 0x04
DATA_CODING_DEFAULT = 0x00
DATA_CODING_UCS2 = 0x08
UCS2_SINGLE = 70
UCS2_PART = 67
GSM_SINGLE = 160
GSM_PART = 153
TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_STATE = 0x0427
MESSAGE_STATES = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}


class Command(enum.IntEnum):
    GENERIC_NACK = 0x80000000
    BIND_RECEIVER = 0x00000001
    BIND_RECEIVER_RESP = 0x80000001
    BIND_TRANSMITTER = 0x00000002
    BIND_TRANSMITTER_RESP = 0x80000002
    SUBMIT_SM = 0x00000004
    SUBMIT_SM_RESP = 0x80000004
    DELIVER_SM = 0x00000005
    DELIVER_SM_RESP = 0x80000005
    UNBIND = 0x00000006
    UNBIND_RESP = 0x80000006
    BIND_TRANSCEIVER = 0x00000009
    BIND_TRANSCEIVER_RESP = 0x80000009
    ENQUIRE_LINK = 0x00000015
    ENQUIRE_LINK_RESP = 0x80000015


class Status(enum.IntEnum):
    OK = 0x00
    INVALID_LENGTH = 0x02
    INVALID_COMMAND = 0x03
    ALREADY_BOUND = 0x05
    SYSTEM_ERROR = 0x08
    INVALID_DEST = 0x0B
    BIND_FAILED = 0x0D
    INVALID_PASSWORD = 0x0E
    THROTTLED = 0x58
    TEMPORARY_APP_ERROR = 0x64  # ESME_RX_T_APPN: the ESME cannot take a deliver_sm now


# statuses worth a later retry; anything else will not get better by repeating
TRANSIENT = frozenset(
    {Status.SYSTEM_ERROR, Status.THROTTLED, 0x14, 0x45, Status.TEMPORARY_APP_ERROR}
)


class PduError(ValueError):
    """Bytes that are not a well-formed PDU."""


@dataclass(frozen=True, slots=True)
class Pdu:
    command: int
    status: int
    sequence: int
    body: bytes = b""

    def encode(self) -> bytes:
        length = HEADER.size + len(self.body)
        return HEADER.pack(length, self.command, self.status, self.sequence) + self.body

    @classmethod
    def decode(cls, data: bytes) -> Pdu:
        if len(data) < HEADER.size:
            raise PduError("short PDU")
        length, command, status, sequence = HEADER.unpack_from(data)
        if length != len(data):
            raise PduError("length mismatch")
        return cls(command, status, sequence, data[HEADER.size :])

    @property
    def is_response(self) -> bool:
        return bool(self.command & 0x80000000)


def cstring(value: str, limit: int) -> bytes:
    raw = value.encode("ascii")
    if len(raw) >= limit:
        raise PduError(f"value longer than {limit - 1}")
    return raw + b"\x00"


class Reader:
    """Reads fields from a PDU body in order."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.pos = 0

    def cstring(self) -> str:
        end = self.body.find(b"\x00", self.pos)
        if end < 0:
            raise PduError("unterminated C-string")
        value = self.body[self.pos : end].decode("ascii", "replace")
        self.pos = end + 1
        return value

    def u8(self) -> int:
        if self.pos >= len(self.body):
            raise PduError("body too short")
        value = self.body[self.pos]
        self.pos += 1
        return value

    def octets(self, size: int) -> bytes:
        if self.pos + size > len(self.body):
            raise PduError("body too short")
        value = self.body[self.pos : self.pos + size]
        self.pos += size
        return value

    def tlvs(self) -> dict[int, bytes]:
        found: dict[int, bytes] = {}
        while self.pos + 4 <= len(self.body):
            tag, size = struct.unpack_from(">HH", self.body, self.pos)
            self.pos += 4
            found[tag] = self.octets(size)
        return found


@dataclass(frozen=True, slots=True)
class Bind:
    system_id: str
    password: str
    system_type: str = ""
    addr_ton: int = 0
    addr_npi: int = 0
    address_range: str = ""

    def body(self) -> bytes:
        return (
            cstring(self.system_id, 16)
            + cstring(self.password, 9)
            + cstring(self.system_type, 13)
            + bytes([INTERFACE_VERSION, self.addr_ton, self.addr_npi])
            + cstring(self.address_range, 41)
        )

    @classmethod
    def parse(cls, body: bytes) -> Bind:
        reader = Reader(body)
        system_id, password, system_type = reader.cstring(), reader.cstring(), reader.cstring()
        reader.u8()  # interface version
        ton, npi = reader.u8(), reader.u8()
        return cls(system_id, password, system_type, ton, npi, reader.cstring())


@dataclass(frozen=True, slots=True)
class ShortMessage:
    """The body of submit_sm and deliver_sm (same layout in SMPP 3.4)."""

    source_addr: str
    destination_addr: str
    short_message: bytes
    data_coding: int = DATA_CODING_DEFAULT
    esm_class: int = 0
    registered_delivery: int = 0
    source_addr_ton: int = 5  # alphanumeric sender
    source_addr_npi: int = 0
    dest_addr_ton: int = 1  # international
    dest_addr_npi: int = 1  # E.164
    service_type: str = ""
    tlvs: dict[int, bytes] = field(default_factory=dict)

    def body(self) -> bytes:
        if len(self.short_message) > 254:
            raise PduError("short_message over 254 octets")
        head = (
            cstring(self.service_type, 6)
            + bytes([self.source_addr_ton, self.source_addr_npi])
            + cstring(self.source_addr, 21)
            + bytes([self.dest_addr_ton, self.dest_addr_npi])
            + cstring(self.destination_addr, 21)
            + bytes([self.esm_class, 0, 0])  # protocol_id, priority_flag
            + b"\x00\x00"  # schedule_delivery_time, validity_period: immediate, default
            + bytes([self.registered_delivery, 0, self.data_coding, 0, len(self.short_message)])
        )
        tail = b"".join(
            struct.pack(">HH", tag, len(value)) + value for tag, value in self.tlvs.items()
        )
        return head + self.short_message + tail

    @classmethod
    def parse(cls, body: bytes) -> ShortMessage:
        reader = Reader(body)
        service_type = reader.cstring()
        source_ton, source_npi = reader.u8(), reader.u8()
        source = reader.cstring()
        dest_ton, dest_npi = reader.u8(), reader.u8()
        dest = reader.cstring()
        esm_class = reader.u8()
        reader.u8()
        reader.u8()
        reader.cstring()
        reader.cstring()
        registered = reader.u8()
        reader.u8()
        data_coding = reader.u8()
        reader.u8()
        message = reader.octets(reader.u8())
        return cls(
            source_addr=source,
            destination_addr=dest,
            short_message=message,
            data_coding=data_coding,
            esm_class=esm_class,
            registered_delivery=registered,
            source_addr_ton=source_ton,
            source_addr_npi=source_npi,
            dest_addr_ton=dest_ton,
            dest_addr_npi=dest_npi,
            service_type=service_type,
            tlvs=reader.tlvs(),
        )

    @property
    def udh(self) -> tuple[int, int, int] | None:
        """(reference, total, sequence) of a concatenated part, from its 8-bit-ref UDH."""
        data = self.short_message
        if not self.esm_class & ESM_UDHI or len(data) < 6 or data[1] != 0x00:
            return None
        return data[3], data[4], data[5]

    @property
    def text(self) -> str:
        payload = self.short_message[6:] if self.udh else self.short_message
        if self.data_coding == DATA_CODING_UCS2:
            return payload.decode("utf-16-be")
        return payload.decode("latin-1")


_GSM_SAFE = re.compile(r"^[A-Za-z0-9 .,:;!?()+\-/'\"%*#=\n]*$")


@dataclass(frozen=True, slots=True)
class Segments:
    data_coding: int
    esm_class: int
    parts: list[bytes]


def segment(text: str, reference: int) -> Segments:
    """Split a text into SMS parts: UCS-2 for Cyrillic, 70 chars in one part, else 67 per part
    behind a concatenation UDH (05 00 03 ref total seq); plain Latin text 160/153."""
    if _GSM_SAFE.match(text):
        coding, single, size = DATA_CODING_DEFAULT, GSM_SINGLE, GSM_PART

        def encode(chunk: str) -> bytes:
            return chunk.encode("ascii")
    else:
        coding, single, size = DATA_CODING_UCS2, UCS2_SINGLE, UCS2_PART

        def encode(chunk: str) -> bytes:
            return chunk.encode("utf-16-be")

    if len(text) <= single:
        return Segments(coding, 0, [encode(text)])
    chunks = [text[i : i + size] for i in range(0, len(text), size)]
    if len(chunks) > 255:
        raise PduError("message too long")
    ref = reference & 0xFF
    parts = [
        bytes([0x05, 0x00, 0x03, ref, len(chunks), n]) + encode(chunk)
        for n, chunk in enumerate(chunks, start=1)
    ]
    return Segments(coding, ESM_UDHI, parts)


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery receipt (deliver_sm with esm_class 0x04) mapped to the submitted message id."""

    message_id: str
    stat: str


_RECEIPT_ID = re.compile(r"id:(\S+)")
_RECEIPT_STAT = re.compile(r"stat:(\w+)")


def parse_receipt(message: ShortMessage) -> Receipt | None:
    if not message.esm_class & ESM_RECEIPT:
        return None
    text = message.short_message.decode("latin-1")
    found_id = message.tlvs.get(TLV_RECEIPTED_MESSAGE_ID)
    message_id = found_id.rstrip(b"\x00").decode("ascii") if found_id else None
    if message_id is None:
        match = _RECEIPT_ID.search(text)
        message_id = match.group(1) if match else None
    state = message.tlvs.get(TLV_MESSAGE_STATE)
    stat = MESSAGE_STATES.get(state[0]) if state else None
    if stat is None:
        match = _RECEIPT_STAT.search(text)
        stat = match.group(1) if match else None
    if not message_id or not stat:
        return None
    return Receipt(message_id, stat)


def receipt_text(message_id: str, stat: str, submitted: str, done: str) -> bytes:
    """The receipt text of SMPP 3.4 Appendix B, as SMS centers send it."""
    delivered = "001" if stat == "DELIVRD" else "000"
    return (
        f"id:{message_id} sub:001 dlvrd:{delivered} submit date:{submitted} "
        f"done date:{done} stat:{stat} err:000 text:"
    ).encode("ascii")
