"""What each platform will show of a post, built from the media variants the publisher sends.

``previews_for(spec, settings)`` decides per platform the same jobs the publisher does
(:func:`publisher.actions.media.plan_media`), prepares them into the publisher's own cache
(:func:`assets.prepare.prepare`: cached by content, so nothing prepared here is wasted work), and
describes one card per platform: a Facebook post (the photo grid as Facebook lays it out), a Reel /
Short frame at 9:16, a YouTube title + thumbnail + description cut where YouTube cuts them, a Zalo
article with its cover. Every card says what is cut or reformatted, and why.

The browser gets small JPEG copies made for the preview (:mod:`publisher.web.preview_media`),
never an original: a card names them by cache key only (the signed file route is in
:mod:`publisher.web.routes.preview`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from assets.prepare import PreparedMedia, RenderOptions
from publisher.actions.media import Job, plan_media
from publisher.core.media_limits import FACEBOOK_REEL, YOUTUBE_SHORT, YOUTUBE_THUMBNAIL
from publisher.core.models import Delivery, Platform, PostSpec, Target, nfc
from publisher.core.states import State
from publisher.errors import PublisherError
from publisher.i18n import Msg, msg, register, t
from publisher.platforms.facebook.publish import message_of
from publisher.platforms.registry import adapter_class
from publisher.platforms.youtube.metadata import TITLE_MAX_CHARS
from publisher.platforms.zalo import article
from publisher.platforms.zalo.adapter import DESCRIPTION_CUT
from publisher.settings import Settings
from publisher.web.preview_media import Picture, PreviewMedia

register(
    {
        "web.preview.n.fb_title": (
            "Tiêu đề được đặt làm dòng đầu của bài: Facebook không có ô tiêu đề riêng.",
            "The title becomes the first line of the post: Facebook has no title field.",
        ),
        "web.preview.n.fb_more": (
            "Bảng tin chỉ hiện {lines} dòng (khoảng {chars} ký tự) đầu; phần còn lại nằm sau “Xem thêm”.",
            "The feed shows the first {lines} lines (about {chars} characters); the rest is behind “See more”.",
        ),
        "web.preview.n.fb_tall": (
            "Ảnh được cắt về 4:5 cho Facebook: ảnh dọc cao hơn 4:5 bị cắt trong bảng tin (bấm vào mới thấy đủ).",
            "The photo is cropped to 4:5 for Facebook: a photo taller than 4:5 is cut in the feed (shown whole when opened).",
        ),
        "web.preview.n.fb_wide": (
            "Ảnh được cắt về 1,91:1 cho Facebook: ảnh ngang rộng hơn bị cắt trong bảng tin.",
            "The photo is cropped to 1.91:1 for Facebook: a wider photo is cut in the feed.",
        ),
        "web.preview.n.fb_grid": (
            "Facebook xếp {n} ảnh thành lưới; ảnh được cắt cho vừa ô (bấm vào mới thấy đủ).",
            "Facebook lays {n} photos out as a grid; each is cropped to its cell (shown whole when opened).",
        ),
        "web.preview.n.fb_grid_more": (
            "Lưới chỉ hiện {shown} ảnh; {more} ảnh còn lại nằm sau ô “+{more}”.",
            "The grid shows {shown} photos; the other {more} are behind the “+{more}” cell.",
        ),
        "web.preview.n.fb_reel": (
            "Video dọc: đăng thành Reel, khung 9:16.",
            "Vertical clip: published as a Reel in a 9:16 frame.",
        ),
        "web.preview.n.fb_reel_forced": (
            "Video ngang thành Reel theo tuỳ chọn facebook.reel: đặt vào khung dọc 9:16 trên nền mờ.",
            "A landscape clip made a Reel by the option facebook.reel: placed in a 9:16 frame over a blur.",
        ),
        "web.preview.n.fb_not_reel": (
            "Video ngang sẽ thành video thường trên Trang, không phải Reel (Reel cần video dọc).",
            "A landscape clip becomes a normal Page video, not a Reel (Reels are vertical).",
        ),
        "web.preview.n.fb_link": (
            "Facebook tự lấy ảnh và tiêu đề của thẻ liên kết từ trang {host}.",
            "Facebook takes the link card's picture and title from {host} itself.",
        ),
        "web.preview.n.photo": ("Ảnh {n}: {note}", "Photo {n}: {note}"),
        "web.preview.n.failed": ("Không chuẩn bị được {what}: {error}", "Could not prepare {what}: {error}"),
        "web.preview.n.what_photo": ("ảnh {n}", "photo {n}"),
        "web.preview.n.what_video": ("video", "the clip"),
        "web.preview.n.what_thumb": ("ảnh thu nhỏ", "the thumbnail"),
        "web.preview.n.yt_title": (
            "Tiêu đề bị cắt sau {max} ký tự: dài {n} ký tự, YouTube chỉ nhận {max}. "
            "Hãy rút gọn, nếu không YouTube từ chối bài.",
            "The title is cut after {max} characters: it has {n}, YouTube takes {max}. "
            "Shorten it, or YouTube refuses the post.",
        ),
        "web.preview.n.yt_desc": (
            "YouTube chỉ hiện khoảng {chars} ký tự ({lines} dòng) đầu của mô tả; phần còn lại nằm sau “...thêm”.",
            "YouTube shows about the first {chars} characters ({lines} lines) of the description; "
            "the rest is behind “...more”.",
        ),
        "web.preview.n.yt_short": (
            "Video dọc (tối đa {max} giây): YouTube hiện là Short, khung 9:16.",
            "Vertical clip (at most {max} seconds): YouTube shows it as a Short in a 9:16 frame.",
        ),
        "web.preview.n.yt_short_forced": (
            "Video ngang thành Short theo tuỳ chọn youtube.short: đặt vào khung dọc 9:16 trên nền mờ.",
            "A landscape clip made a Short by the option youtube.short: placed in a 9:16 frame over a blur.",
        ),
        "web.preview.n.yt_thumb": (
            "Ảnh thu nhỏ làm từ ảnh 1, cắt về khung 16:9 ({w}×{h}).",
            "The thumbnail is made from photo 1, cropped to 16:9 ({w}×{h}).",
        ),
        "web.preview.n.yt_thumb_own": (
            "Ảnh thu nhỏ riêng (tuỳ chọn youtube.thumbnail) được gửi nguyên tệp; đây là cách YouTube cắt nó.",
            "The own thumbnail (option youtube.thumbnail) is sent as it is; this is how YouTube crops it.",
        ),
        "web.preview.n.yt_thumb_auto": (
            "YouTube tự chọn ảnh thu nhỏ từ video; đây là khung hình ở giây {at}.",
            "YouTube picks the thumbnail from the clip itself; this is the frame at second {at}.",
        ),
        "web.preview.n.yt_short_thumb": (
            "Short có thể không dùng ảnh thu nhỏ riêng (chưa chắc chắn: API được báo là không hỗ trợ).",
            "A Short may not use an own thumbnail (uncertain: the API is reported not to support it).",
        ),
        "web.preview.n.zalo_cover": (
            "Ảnh bìa lấy từ đường dẫn công khai; Zalo hiện ảnh bìa khung 16:9, ảnh khác tỉ lệ bị cắt.",
            "The cover is the public link given; Zalo shows covers at 16:9, other shapes are cropped.",
        ),
        "web.preview.n.zalo_default_cover": (
            "Bài không có ảnh bìa riêng: dùng ảnh bìa mặc định trong cài đặt.",
            "The post names no cover: the default cover of the settings is used.",
        ),
        "web.preview.n.zalo_desc": (
            "Mô tả ngắn lấy từ nội dung và bị cắt ở {cut} ký tự (Zalo nhận dưới 300).",
            "The summary is taken from the text and cut at {cut} characters (Zalo takes under 300).",
        ),
        "web.preview.n.zalo_frame": (
            "Không có ảnh đại diện: Zalo lấy một khung hình của video (chưa chắc chắn).",
            "No picture given: Zalo shows a frame of the clip (uncertain).",
        ),
        "web.preview.n.sandbox": (
            "Trang thử nhận ảnh và video nguyên bản, không chỉnh sửa.",
            "The sandbox gets the photos and the clip as they are.",
        ),
    }
)

# Facebook's feed. UNCERTAIN: Meta documents none of this (reference/facebook.md has no display
# rules); these are how facebook.com and the app show Page posts, kept as constants to adjust.
FB_TALLEST = 4 / 5  # a single photo taller than 4:5 is cropped to 4:5 in the feed
FB_WIDEST = 1.91  # one wider than 1.91:1 is cropped to 1.91:1
FB_GRID_MAX = 5  # photos shown in a grid; the last cell says "+N" for the others
FB_MORE_LINES = 5  # a text of more lines (or more characters) ends in "... See more"
FB_MORE_CHARS = 480
#: a photo this much wider than tall counts as landscape when the grid is laid out
FB_LANDSCAPE = 1.05

# YouTube. The title limit is documented (reference/youtube.md §3.1: at most 100 characters; the
# adapter refuses a longer one). How much of a description YouTube shows is not in the reference:
# UNCERTAIN, about 157 characters in search results and 3 lines above "...more" on the watch page.
YT_TITLE_MAX = TITLE_MAX_CHARS
YT_DESCRIPTION_CHARS = 157
YT_DESCRIPTION_LINES = 3

#: the partial template (``preview_<name>.html``) of each kind of card
TEMPLATES: dict[str, str] = {
    "facebook-post": "facebook",
    "facebook-video": "facebook",
    "facebook-reel": "vertical",
    "youtube-short": "vertical",
    "youtube-video": "youtube",
    "zalo-article": "zalo",
    "zalo-video": "zalo",
    "sandbox": "sandbox",
}


@dataclass
class PlatformPreview:
    """One platform's card: what it shows of the post, and what was changed to get there."""

    platform: str
    kind: str  # a key of TEMPLATES
    accounts: list[str] = field(default_factory=list)
    title: str = ""
    title_rest: str = ""  # cut off the title
    text: str = ""  # as shown before the platform's "more"
    text_more: bool = False  # the rest of the text is behind "more"
    pictures: list[Picture] = field(default_factory=list)
    layout: str = ""  # Facebook: the grid's layout (a CSS class)
    more: int = 0  # Facebook: photos beyond the grid
    cover_url: str | None = None  # Zalo: the cover, a public https address
    link: str | None = None
    notes: list[str] = field(default_factory=list)  # what is cut or reformatted, and why
    problems: list[str] = field(default_factory=list)  # what stops it being published as it is
    warnings: list[str] = field(default_factory=list)

    @property
    def template(self) -> str:
        return f"preview_{TEMPLATES[self.kind]}.html"


def _delivery(spec: PostSpec, target: Target) -> Delivery:
    """The post on ``target`` as the publisher loads it before its media are prepared."""
    return Delivery(
        id=0, post_id=0, post_key=spec.key, target=target, state=State.DRAFT, due_at=spec.due_at,
        title=spec.title, text=spec.text, images=spec.images, video=spec.video, link=spec.link,
        content_hash="", options=dict(spec.options), campaign=spec.campaign, author=spec.author,
    )  # fmt: skip


def facebook_layout(shapes: list[tuple[int, int]], total: int) -> str:
    """The grid Facebook lays ``total`` photos out in (``shapes``: the shown ones' width, height)."""
    w, h = shapes[0]
    if total <= 1:
        return "single tall" if w / h < FB_TALLEST else "single wide" if w / h > FB_WIDEST else "single"
    landscape = w / h > FB_LANDSCAPE
    if total == 2:
        return "two-rows" if landscape else "two-cols"
    if total == 3:
        return "three-top" if landscape else "three-left"
    if total == 4:
        square = all(abs(sw / sh - 1) <= FB_LANDSCAPE - 1 for sw, sh in shapes[:4])
        return "four-grid" if square else "four-top" if landscape else "four-left"
    return "five"


def _cut_lines(text: str, lines: int, chars: int) -> tuple[str, bool]:
    """The first ``lines`` lines of ``text``, at most ``chars`` characters; and whether it was cut."""
    kept = "\n".join(text.split("\n")[:lines])
    if len(kept) > chars:
        kept = kept[:chars].rstrip()
    return kept, kept != text.rstrip()


def _failed(media: PreviewMedia, what: Msg, exc: PublisherError) -> str:
    return media.scrub(t("web.preview.n.failed", what=what, error=str(exc)))


def _clip(p: PlatformPreview, d: Delivery, media: PreviewMedia, jobs: list[Job]) -> PreparedMedia | None:
    """The post's clip prepared as the platform gets it, its poster on the card; None if it failed."""
    clips = [j for j in jobs if j.role == "video"]
    if not clips:
        return None
    made = media.prepare(clips[0])
    if isinstance(made, PublisherError):
        p.problems.append(_failed(media, msg("web.preview.n.what_video"), made))
        return None
    poster = media.picture(made)
    p.pictures += [poster] if poster else []
    return made


def _facebook(d: Delivery, media: PreviewMedia) -> PlatformPreview:
    p = PlatformPreview("facebook", "facebook-post")
    message = message_of(d)
    p.text, p.text_more = _cut_lines(message, FB_MORE_LINES, FB_MORE_CHARS)
    if d.title.strip() and message != d.text.strip():
        p.notes.append(t("web.preview.n.fb_title"))
    if p.text_more:
        p.notes.append(t("web.preview.n.fb_more", lines=FB_MORE_LINES, chars=FB_MORE_CHARS))
    if d.images and d.video:
        return p  # refused: the adapter's check says why
    jobs = plan_media(d, media.settings).jobs
    if d.video is not None:
        reel = any(j.preset == FACEBOOK_REEL.key for j in jobs)
        p.kind = "facebook-reel" if reel else "facebook-video"
        made = _clip(p, d, media, jobs)
        if made is not None:
            upright = media.upright(d) is not False
            p.notes.append(
                t(
                    f"web.preview.n.fb_{'reel' if upright else 'reel_forced'}"
                    if reel
                    else "web.preview.n.fb_not_reel"
                )
            )
            p.notes += media.notes(made)
        return p
    changed: dict[str, list[str]] = {}  # what preparing did -> the photos it did it to
    for i, job in enumerate([j for j in jobs if j.role == "image"][:FB_GRID_MAX], 1):
        photo = media.prepare(job)
        if isinstance(photo, PublisherError):
            p.problems.append(_failed(media, msg("web.preview.n.what_photo", n=i), photo))
            continue
        shown = media.picture(photo)
        p.pictures += [shown] if shown else []
        for note in media.notes(photo):
            changed.setdefault(note, []).append(str(i))
    p.notes += [t("web.preview.n.photo", n=", ".join(which), note=note) for note, which in changed.items()]
    total = len(d.images)
    if p.pictures:
        p.more = max(total - FB_GRID_MAX, 0)
        p.layout = facebook_layout([(x.width, x.height) for x in p.pictures], total)
        head = [t("web.preview.n.fb_grid", n=total)] if total > 1 else []
        head += [t("web.preview.n.fb_grid_more", shown=FB_GRID_MAX, more=p.more)] if p.more else []
        head += [t(f"web.preview.n.fb_{p.layout[7:]}")] if p.layout.startswith("single ") else []
        p.notes[:0] = head
    elif d.link and not total:
        p.link = d.link
        p.notes.append(t("web.preview.n.fb_link", host=urlsplit(d.link).hostname or d.link))
    return p


def _youtube(d: Delivery, media: PreviewMedia) -> PlatformPreview:
    p = PlatformPreview("youtube", "youtube-video")
    title = nfc(d.title.strip())
    p.title, p.title_rest = title[:YT_TITLE_MAX], title[YT_TITLE_MAX:]
    if p.title_rest:
        p.notes.append(t("web.preview.n.yt_title", n=len(title), max=YT_TITLE_MAX))
    p.text, p.text_more = _cut_lines(nfc(d.text or ""), YT_DESCRIPTION_LINES, YT_DESCRIPTION_CHARS)
    if p.text_more:
        p.notes.append(t("web.preview.n.yt_desc", chars=YT_DESCRIPTION_CHARS, lines=YT_DESCRIPTION_LINES))
    if d.video is None:
        return p  # refused: the adapter's check says why
    jobs = plan_media(d, media.settings).jobs
    short = any(j.preset == YOUTUBE_SHORT.key for j in jobs)
    made = _clip(p, d, media, jobs)
    if made is None:
        return p
    if short:
        p.kind = "youtube-short"
        key = "yt_short" if media.upright(d) is not False else "yt_short_forced"
        p.notes.append(t(f"web.preview.n.{key}", max=f"{YOUTUBE_SHORT.max_duration:g}"))
    p.notes += media.notes(made)
    own = (d.options.get("youtube") or {}).get("thumbnail")
    thumbs = [j for j in jobs if j.role == "thumbnail"]
    if own:  # sent as it is; prepared here only to show how YouTube crops it
        plain = RenderOptions(font=media.settings.media.font_path)
        thumbs = [Job("thumbnail", Path(str(own)), YOUTUBE_THUMBNAIL.key, plain)]
    thumb = media.prepare(thumbs[0]) if thumbs else None
    if isinstance(thumb, PublisherError):
        p.problems.append(_failed(media, msg("web.preview.n.what_thumb"), thumb))
    elif thumb is not None:
        shown = media.picture(thumb)
        if shown is not None:  # a Short's card shows its frame, then the thumbnail; a video's, the thumbnail
            p.pictures = [*p.pictures, shown] if short else [shown]
        p.notes.append(
            t(f"web.preview.n.{'yt_thumb_own' if own else 'yt_thumb'}", w=thumb.width, h=thumb.height)
        )
        p.notes += [t("web.preview.n.yt_short_thumb")] if short else []
    elif p.pictures:
        p.notes.append(t("web.preview.n.yt_thumb_auto", at=f"{p.pictures[0].at or 0:g}"))
    return p


def _zalo(d: Delivery, media: PreviewMedia) -> PlatformPreview:
    p = PlatformPreview("zalo", "zalo-article" if d.video is None else "zalo-video")
    opts = d.options.get("zalo") or {}
    p.title = nfc(d.title.strip())
    p.text = article.description(d, DESCRIPTION_CUT)
    if not opts.get("description") and len(" ".join((d.text or "").split())) > DESCRIPTION_CUT:
        p.notes.append(t("web.preview.n.zalo_desc", cut=DESCRIPTION_CUT))
    # the cover as the adapter sends it: options.zalo.cover_url, else the settings' default cover;
    # a video article's picture is options.zalo.avatar_url, else that cover
    given = (
        opts.get("avatar_url") if d.video is not None and opts.get("avatar_url") else opts.get("cover_url")
    )
    cover = (
        article.public_url(str(given))
        if given
        else article.cover_url(d, media.settings.zalo.default_cover_url)
    )
    if cover and urlsplit(cover).scheme == "https":
        p.cover_url = cover
        p.notes.append(t("web.preview.n.zalo_cover" if given else "web.preview.n.zalo_default_cover"))
    if d.video is not None:
        made = _clip(p, d, media, plan_media(d, media.settings).jobs)
        if made is not None:
            p.notes += media.notes(made)
            p.notes += [] if p.cover_url else [t("web.preview.n.zalo_frame")]
    return p


def _sandbox(d: Delivery, media: PreviewMedia) -> PlatformPreview:
    p = PlatformPreview("sandbox", "sandbox", title=d.title, text=d.text, link=d.link)
    p.notes += [t("web.preview.n.sandbox")] if d.images or d.video else []
    return p


BUILDERS: dict[Platform, Callable[[Delivery, PreviewMedia], PlatformPreview]] = {
    Platform.FACEBOOK: _facebook,
    Platform.YOUTUBE: _youtube,
    Platform.ZALO: _zalo,
    Platform.SANDBOX: _sandbox,
}


def previews_for(spec: PostSpec, settings: Settings) -> list[PlatformPreview]:
    """One card per platform the post targets (naming its accounts there), in the targets' order."""
    media = PreviewMedia(spec, settings)
    targets: dict[Platform, list[Target]] = {}
    for target in spec.targets:
        targets.setdefault(target.platform, []).append(target)
    out: list[PlatformPreview] = []
    for platform, accounts in targets.items():
        card = BUILDERS[platform](_delivery(spec, accounts[0]), media)
        for problem in adapter_class(platform).check(spec):
            text = media.scrub(str(problem.message))
            (card.problems if problem.severity == "block" else card.warnings).append(text)
        out.append(replace(card, accounts=[a.name for a in accounts]))
    return out


__all__ = ["PlatformPreview", "facebook_layout", "previews_for"]
