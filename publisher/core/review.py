"""The pre-publish content check, run on queue and again before publish (pure).

``review(post, limits, ...)`` returns :class:`Finding` s, each naming the post, the field, the
position (character offset in that field, or index in ``images``), a kind and a message in
Vietnamese and English. A ``block`` finding stops approval; a ``warn`` finding is listed for the
approver, who decides.

What blocks and what warns, as a careful officer would decide:

========================  ======  ==============================================================
check                     kind    why
========================  ======  ==============================================================
over a platform's limit   block   the platform refuses or cuts the post (YouTube description in
                                  UTF-8 bytes); ``limits.check_limits`` decides, per target
legacy encoding           block   TCVN3 (ABC) or VNI text pasted from an old document reads as
                                  garbage ("Céng hoµ x· héi"); :func:`to_unicode` converts it
classified mark           block   a document marked MẬT / TỐI MẬT / TUYỆT MẬT must never be
                                  published (Luật Bảo vệ bí mật nhà nước 2018)
citizen ID number         block   12-digit CCCD numbers are sensitive personal data (Nghị định
                                  13/2023/NĐ-CP); no public post needs one
forbidden word            block   the unit listed the word for a reason
photo with GPS position   block   may reveal a home or a border post; strip the metadata and
                                  approve again (``assets.checks``)
phone number              warn    hotlines and officials' numbers are published on purpose;
                                  a private person's number is not
e-mail address            warn    same as phone numbers
"tối mật" in prose        warn    lower-case words about secrecy, not a document mark
non-NFC text              warn    reads right but breaks search, hashing and duplicate checks;
                                  ``models.nfc`` fixes it
========================  ======  ==============================================================

Classified marks, the rule: a line that holds nothing but ``MẬT``, ``TỐI MẬT``, ``TUYỆT MẬT``
(any case, with brackets or punctuation around it: the stamp of a document), the words
``TỐI MẬT`` / ``TUYỆT MẬT`` written in capitals anywhere, or an "Độ mật:" label block. The
words "bí mật" (a secret), "mật ong", "mật khẩu", "bảo mật", and "MẬT" inside a capitalised
headline ("BẢO VỆ BÍ MẬT NHÀ NƯỚC") are *not* flagged: a single capitalised "MẬT" in running text
cannot be told from a headline reliably, so only the stamp form is. Lower-case "tối mật" /
"tuyệt mật" in prose warns.

Positions are character offsets in the field's NFC form (after conversion, for legacy text).

Personal data, the rule: phone numbers are Vietnamese mobiles (0 or +84 then 3/5/7/8/9 and 8
digits) and landlines (02x…, 11 digits), digits optionally grouped by spaces, dots or dashes;
citizen IDs are exactly 12 contiguous digits whose first three are a province code (001–096).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from publisher.core.limits import Problem, check_limits
from publisher.core.models import PostSpec
from publisher.i18n import Msg, msg, register

register(
    {
        "review.legacy_encoding": (
            "Văn bản có vẻ dùng bảng mã cũ {encoding} (dán từ tài liệu cũ, ví dụ «{sample}»). "
            "Hãy chuyển sang Unicode: «{converted}».",
            "Text looks like legacy {encoding} encoding (pasted from an old document, e.g. «{sample}»). "
            "Convert it to Unicode: «{converted}».",
        ),
        "review.classified_mark": (
            "Có dấu độ mật «{mark}»: tài liệu mật không được đăng công khai.",
            "Carries the classification mark «{mark}»: classified documents must not be published.",
        ),
        "review.classified_word": (
            "Có cụm từ «{mark}»: kiểm tra lại nội dung có thuộc bí mật nhà nước không.",
            "Contains «{mark}»: check that the content is not a state secret.",
        ),
        "review.citizen_id": (
            "Có số căn cước công dân ({masked}): không đăng dữ liệu cá nhân.",
            "Contains a citizen ID number ({masked}): personal data must not be published.",
        ),
        "review.phone": (
            "Có số điện thoại ({masked}): chỉ đăng nếu là số công khai (đường dây nóng, cơ quan).",
            "Contains a phone number ({masked}): publish only an official, public number.",
        ),
        "review.email": (
            "Có địa chỉ thư điện tử ({masked}): chỉ đăng nếu là địa chỉ công khai của cơ quan.",
            "Contains an e-mail address ({masked}): publish only an official, public address.",
        ),
        "review.forbidden": (
            "Có từ trong danh sách cấm: «{word}».",
            "Contains a word from the forbidden list: «{word}».",
        ),
        "review.not_nfc": (
            "Văn bản chưa chuẩn hóa Unicode NFC (dấu tách rời, từ ký tự {position}); sẽ lỗi tìm kiếm.",
            "Text is not Unicode NFC (separate combining marks from character {position}); search breaks.",
        ),
        "review.gps": (
            "Ảnh {path} còn lưu vị trí GPS: xóa thông tin vị trí trước khi đăng.",
            "Photo {path} still carries a GPS position: strip the location before publishing.",
        ),
        "review.finding": (
            "{post} · {field}{where} [{kind}] {message}",
            "{post} · {field}{where} [{kind}] {message}",
        ),
        "review.kind.block": ("CHẶN", "BLOCK"),
        "review.kind.warn": ("LƯU Ý", "WARN"),
    }
)

Kind = Literal["block", "warn"]


@dataclass(frozen=True)
class Finding:
    """One thing the approver must see about a post."""

    post: str
    field: str
    kind: Kind
    code: str
    message: Msg | str
    position: int | None = None
    target: str | None = None

    @property
    def blocks(self) -> bool:
        return self.kind == "block"

    def __str__(self) -> str:
        where = f" @{self.position}" if self.position is not None else ""
        if self.target:
            where += f" ({self.target})"
        return str(
            msg(
                "review.finding",
                post=self.post,
                field=self.field,
                where=where,
                kind=msg(f"review.kind.{self.kind}"),
                message=self.message,
            )
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "post": self.post,
            "field": self.field,
            "position": self.position,
            "kind": self.kind,
            "code": self.code,
            "target": self.target,
            "message": str(self.message),
        }


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.blocks]


# --- legacy Vietnamese encodings --------------------------------------------------------------

# TCVN 5712:1993 VN3 ("ABC", fonts .VnTime): one byte per letter, read as Windows-1252/Latin-1.
_TCVN3_PAIRS = (
    "µà ¸á ¶ả ·ã ¹ạ ¨ă »ằ ¾ắ ¼ẳ ½ẵ Æặ ©â Çầ Êấ Èẩ Éẫ Ëậ ®đ Ìè Ðé Îẻ Ïẽ Ñẹ ªê Òề Õế Óể Ôễ Öệ "
    "×ì Ýí Øỉ Üĩ Þị ßò ãó áỏ âõ äọ «ô åồ èố æổ çỗ éộ ¬ơ êờ íớ ëở ìỡ îợ ïù óú ñủ òũ ôụ "
    "\xadư õừ øứ öử ÷ữ ùự úỳ ýý ûỷ üỹ þỵ ¡Ă ¢Â §Đ £Ê ¤Ô ¥Ơ ¦Ư"
)
TCVN3_TO_UNICODE: dict[str, str] = {pair[0]: pair[1] for pair in _TCVN3_PAIRS.split(" ")}

# VNI-Windows: a base letter followed by a mark character (also read as Windows-1252).
_VNI_TONES = {"ù": "\u0301", "ø": "\u0300", "û": "\u0309", "õ": "\u0303", "ï": "\u0323"}
_VNI_HAT_TONES = {"á": "\u0301", "à": "\u0300", "å": "\u0309", "ã": "\u0303", "ä": "\u0323"}
_VNI_BREVE_TONES = {"é": "\u0301", "è": "\u0300", "ú": "\u0309", "ü": "\u0303", "ë": "\u0323"}
_VNI_SINGLE = {
    "ô": "ơ", "Ô": "Ơ", "ö": "ư", "Ö": "Ư", "ñ": "đ", "Ñ": "Đ",
    "æ": "ỉ", "Æ": "Ỉ", "ó": "ĩ", "Ó": "Ĩ", "ò": "ị", "Ò": "Ị", "î": "ỵ", "Î": "Ỵ",
}  # fmt: skip


def _vni_table() -> dict[str, str]:
    table: dict[str, str] = {}

    def add(base: str, marks: Mapping[str, str], extra: str = "") -> None:
        for mark, combining in marks.items():
            for b, m in ((base, mark), (base.upper(), mark.upper())):
                table[b + m] = unicodedata.normalize("NFC", b + extra + combining)

    for vowel in "aeouy":
        add(vowel, _VNI_TONES)
    for vowel in "aeo":
        table[vowel + "â"] = unicodedata.normalize("NFC", vowel + "\u0302")
        table[vowel.upper() + "Â"] = unicodedata.normalize("NFC", vowel.upper() + "\u0302")
        add(vowel, _VNI_HAT_TONES, "\u0302")
    table["aê"] = "ă"
    table["AÊ"] = "Ă"
    add("a", _VNI_BREVE_TONES, "\u0306")
    for horn_vni, horn in (("ô", "ơ"), ("ö", "ư")):
        for mark, combining in _VNI_TONES.items():
            table[horn_vni + mark] = unicodedata.normalize("NFC", horn + combining)
            table[horn_vni.upper() + mark.upper()] = unicodedata.normalize("NFC", horn.upper() + combining)
    table.update(_VNI_SINGLE)
    return table


VNI_TO_UNICODE = _vni_table()
_VNI_RE = re.compile("|".join(sorted(map(re.escape, VNI_TO_UNICODE), key=len, reverse=True)))

_VIETNAMESE_LETTERS = set(
    "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵfjwz"
)
_VIETNAMESE_LETTERS |= {c.upper() for c in _VIETNAMESE_LETTERS}
_LEGACY_CHARS = (set(TCVN3_TO_UNICODE) | {c for k in VNI_TO_UNICODE for c in k}) - _VIETNAMESE_LETTERS
_QUOTES = "«»"
# A legacy character right after a letter ("hoµ", "ViÖt", "Vieät"); guillemets only inside a word.
_LEGACY_HIT_RE = re.compile(
    r"(?<=[^\W\d_])["
    + re.escape("".join(sorted(_LEGACY_CHARS - set(_QUOTES))))
    + r"]|(?<=[^\W\d_])["
    + _QUOTES
    + r"](?=[^\W\d_])"
)
_TOKEN_RE = re.compile(r"\S+")


def _convert_tcvn3(text: str) -> str:
    return "".join(TCVN3_TO_UNICODE.get(c, c) for c in text)


def _convert_vni(text: str) -> str:
    return _VNI_RE.sub(lambda m: VNI_TO_UNICODE[m.group(0)], text)


def _legacy_words(text: str) -> list[re.Match[str]]:
    """Tokens holding a character no Vietnamese Unicode word holds (µ ¸ ¶ ø ï û …)."""
    hits = [m.start() for m in _LEGACY_HIT_RE.finditer(text)]
    if not hits:
        return []
    return [t for t in _TOKEN_RE.finditer(text) if any(t.start() <= h < t.end() for h in hits)]


_VNI_CHARS = {c for k in VNI_TO_UNICODE for c in k}
_TCVN3_ONLY = set(TCVN3_TO_UNICODE) - _VNI_CHARS - _VIETNAMESE_LETTERS
_VNI_PAIR_RE = re.compile(
    "|".join(re.escape(k) for k in VNI_TO_UNICODE if len(k) == 2 and k[1] in _LEGACY_CHARS)
)


def detect_legacy(text: str) -> Literal["TCVN3", "VNI"] | None:
    """Which legacy encoding ``text`` was typed in, if any.

    At least two words must hold, right after a letter, a character that Vietnamese Unicode
    never has there (µ ¸ ¶ · ø ï û …). Then VNI shows as vowel + mark pairs ("oä", "aø"), TCVN3
    as characters VNI never uses (µ ¸ ¶ · ¹ ¨ ®…); the more frequent wins.
    """
    if len(_legacy_words(text)) < 2:
        return None
    vni = len(_VNI_PAIR_RE.findall(text))
    tcvn3 = sum(1 for c in text if c in _TCVN3_ONLY)
    return "VNI" if vni > tcvn3 else "TCVN3"


def to_unicode(text: str, encoding: str | None = None) -> str:
    """Convert TCVN3 or VNI text to Unicode NFC (detected when ``encoding`` is None)."""
    encoding = encoding or detect_legacy(text)
    if encoding == "TCVN3":
        text = _convert_tcvn3(text)
    elif encoding == "VNI":
        text = _convert_vni(text)
    return unicodedata.normalize("NFC", text)


# --- patterns ---------------------------------------------------------------------------------

_STAMP_RE = re.compile(r"^[\s\W_]*(tuyệt\s+mật|tối\s+mật|mật)[\s\W_]*$", re.IGNORECASE | re.MULTILINE)
_CAPS_MARK_RE = re.compile(r"(?<!\w)(TUYỆT\s+MẬT|TỐI\s+MẬT)(?!\w)")
_LABEL_RE = re.compile(r"(?<!\w)độ\s+mật\s*:", re.IGNORECASE)
_PROSE_MARK_RE = re.compile(r"(?<!\w)(tuyệt\s+mật|tối\s+mật)(?!\w)", re.IGNORECASE)

_PHONE_RE = re.compile(r"(?<![\w+])(?:\+84|84|0)(?:[ .\-]?\d){8,10}(?!\w)")
_CITIZEN_ID_RE = re.compile(r"(?<!\d)(\d{12})(?!\d)")
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def _is_phone(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if candidate.startswith("+84") or (candidate.startswith("84") and len(digits) in (11, 12)):
        digits = "0" + digits[2:]
    if len(digits) == 10 and digits[0] == "0" and digits[1] in "35789":
        return True
    return len(digits) == 11 and digits.startswith("02")


def _is_citizen_id(number: str) -> bool:
    return 1 <= int(number[:3]) <= 96


def _mask(text: str) -> str:
    return text[:3] + "…" + text[-2:] if len(text) > 6 else "…"


# --- the check --------------------------------------------------------------------------------


def _text_findings(key: str, field: str, text: str, forbidden: Collection[str]) -> list[Finding]:
    out: list[Finding] = []

    def add(kind: Kind, code: str, message: Msg, position: int | None) -> None:
        out.append(Finding(key, field, kind, code, message, position))

    if not unicodedata.is_normalized("NFC", text):
        position = next((i for i, c in enumerate(text) if unicodedata.combining(c)), 0)
        add("warn", "not_nfc", msg("review.not_nfc", position=position), position)

    encoding = detect_legacy(text)
    if encoding:
        first = _legacy_words(text)[0]
        sample = first.group(0)
        add(
            "block",
            "legacy_encoding",
            msg(
                "review.legacy_encoding",
                encoding=encoding,
                sample=sample,
                converted=to_unicode(sample, encoding),
            ),
            first.start(),
        )
        scan = to_unicode(text, encoding)  # look for the rest in what the officer meant
    else:
        scan = unicodedata.normalize("NFC", text)

    marks: dict[int, str] = {}
    for regex in (_STAMP_RE, _CAPS_MARK_RE):
        for m in regex.finditer(scan):
            marks.setdefault(m.start(1), " ".join(m.group(1).split()).upper())
    for m in _LABEL_RE.finditer(scan):
        marks.setdefault(m.start(), "ĐỘ MẬT")
    for position, mark in sorted(marks.items()):
        add("block", "classified_mark", msg("review.classified_mark", mark=mark), position)
    for m in _PROSE_MARK_RE.finditer(scan):
        if not any(abs(m.start() - p) <= 1 for p in marks):
            add("warn", "classified_word", msg("review.classified_word", mark=m.group(0)), m.start())

    ids = set()
    for m in _CITIZEN_ID_RE.finditer(scan):
        if _is_citizen_id(m.group(1)):
            ids.add(m.start())
            add("block", "citizen_id", msg("review.citizen_id", masked=_mask(m.group(1))), m.start())
    for m in _PHONE_RE.finditer(scan):
        if m.start() not in ids and _is_phone(m.group(0)):
            add("warn", "phone", msg("review.phone", masked=_mask(re.sub(r"\D", "", m.group(0)))), m.start())
    for m in _EMAIL_RE.finditer(scan):
        add("warn", "email", msg("review.email", masked=_mask(m.group(0))), m.start())

    folded = scan.casefold()
    for entry in forbidden:
        w = unicodedata.normalize("NFC", entry.strip()).casefold()
        if not w:
            continue
        for m in re.finditer(r"(?<!\w)" + re.escape(w) + r"(?!\w)", folded):
            add("block", "forbidden", msg("review.forbidden", word=entry.strip()), m.start())
    return out


def review(
    post: PostSpec,
    limits: Mapping[str, Mapping[str, Any]],
    forbidden_words: Collection[str] = (),
    gps_images: Collection[Path] = frozenset(),
) -> list[Finding]:
    """Every finding about ``post``: limits of each target platform, then the text checks.

    ``limits`` maps a platform name (``facebook``) to its declared limits (the dict that
    :func:`publisher.core.limits.check_limits` reads); platforms missing from it are not
    measured. ``gps_images`` is the set of image paths the media probe found carrying a GPS
    position.
    """
    findings: list[Finding] = []
    seen_platforms: set[str] = set()
    for target in post.targets:
        platform = target.platform.value
        if platform in seen_platforms or platform not in limits:
            continue
        seen_platforms.add(platform)
        spec = dict(limits[platform])
        spec.setdefault("platform", platform)
        for problem in check_limits(post, spec):
            findings.append(
                Finding(
                    post.key,
                    problem.field,
                    problem.severity,
                    f"limits.{problem.code}" if problem.code else "limits",
                    problem.message,
                    problem.position,
                    target=platform,
                )
            )
    for field in ("title", "text"):
        findings.extend(_text_findings(post.key, field, getattr(post, field) or "", forbidden_words))
    gps = {Path(p) for p in gps_images}
    for index, image in enumerate(post.images):
        if Path(image) in gps:
            findings.append(
                Finding(post.key, "images", "block", "gps", msg("review.gps", path=Path(image).name), index)
            )
    return findings


def as_problem(finding: Finding) -> Problem:
    """The finding as a :class:`~publisher.core.limits.Problem` (what the schedule loader reports)."""
    return Problem(finding.field, finding.message, finding.kind, finding.position, finding.code)


def schedule_check(
    forbidden_words: Collection[str] = (),
    gps_images: Collection[Path] = frozenset(),
) -> Callable[[PostSpec], list[Problem]]:
    """A check for ``schedule.Context.extra_checks``: the text and photo checks of :func:`review`.

    Limits are left out: the loader already measures them against each target's adapter.
    """

    def check(post: PostSpec) -> list[Problem]:
        return [as_problem(f) for f in review(post, {}, forbidden_words, gps_images)]

    return check
