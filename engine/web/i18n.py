"""The interface's own words in English and Urdu, in one catalogue: `TEXT` (the pages'
chrome, by key), `ACTIONS` (the buttons), `TERMS` (the engine's names for states, steps,
kinds and statuses) and `EVENTS` (the history's actions). Form labels, office titles and
plugin steps come from the parties (each has both). Dates and numbers are not ours to
translate: `day` (the templates' `dated`) formats them with CLDR's data (Babel), the same pattern in both languages.
`tests/test_urdu.py` fails when a page shows a word that has no Urdu here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from babel.dates import format_date
from markupsafe import Markup, escape

from engine.core.flows import FLOWS

LANGUAGES = {"en": "English", "ur": "اردو"}

TEXT: dict[str, dict[str, str]] = {
    "inbox": {"en": "Inbox", "ur": "ان باکس"},
    "items": {"en": "Items", "ur": "معاملات"},
    "new": {"en": "New draft", "ur": "نیا مسودہ"},
    "logout": {"en": "Log out", "ur": "لاگ آؤٹ"},
    "login": {"en": "Log in", "ur": "لاگ ان"},
    "username": {"en": "Username", "ur": "صارف نام"},
    "password": {"en": "Password", "ur": "پاس ورڈ"},
    "waiting": {"en": "Waiting for you", "ur": "آپ کے منتظر"},
    "nothing": {"en": "Nothing waits for you.", "ur": "آپ کے لیے کچھ زیرِ التوا نہیں۔"},
    "overdue": {"en": "Overdue", "ur": "مدت گزر چکی"},
    "this_week": {"en": "Due within a week", "ur": "ایک ہفتے میں واجب"},
    "later": {"en": "Due later", "ur": "بعد میں واجب"},
    "no_deadline": {"en": "No deadline", "ur": "کوئی آخری تاریخ نہیں"},
    "reference": {"en": "Reference", "ur": "حوالہ"},
    "kind": {"en": "Kind", "ur": "قسم"},
    "title": {"en": "Title", "ur": "عنوان"},
    "parties": {"en": "Parties", "ur": "فریقین"},
    "step": {"en": "Step", "ur": "مرحلہ"},
    "due": {"en": "Due", "ur": "آخری تاریخ"},
    "state": {"en": "State", "ur": "حالت"},
    "bulk": {"en": "Decide the selected items", "ur": "منتخب معاملات پر فیصلہ"},
    "act": {"en": "Act", "ur": "کارروائی"},
    "comment": {"en": "Comment", "ur": "تبصرہ"},
    "passphrase": {"en": "Signing key passphrase (to sign)", "ur": "دستخطی کلید کا پاس فریز (دستخط کے لیے)"},
    "history": {"en": "History", "ur": "تاریخچہ"},
    "steps": {"en": "Steps", "ur": "مراحل"},
    "versions": {"en": "Versions", "ur": "نسخے"},
    "current_version": {"en": "Current version", "ur": "موجودہ نسخہ"},
    "changes": {"en": "Changes from the version before", "ur": "پچھلے نسخے سے تبدیلیاں"},
    "your_actions": {"en": "What you can do now", "ur": "آپ اب کیا کر سکتے ہیں"},
    "no_actions": {"en": "Nothing for you to do on this item now.",
                   "ur": "اس معاملے پر ابھی آپ کے لیے کوئی کارروائی نہیں۔"},
    "reassign": {"en": "Reassign a waiting step", "ur": "زیرِ التوا مرحلہ منتقل کریں"},
    "reason": {"en": "Reason", "ur": "وجہ"},
    "to_officer": {"en": "To officer", "ur": "افسر کو"},
    "save": {"en": "Save", "ur": "محفوظ کریں"},
    "submit_form": {"en": "Save the draft", "ur": "مسودہ محفوظ کریں"},
    "holders": {"en": "Held today by", "ur": "آج کے عہدیدار"},
    "directory": {"en": "Officers", "ur": "افسران"},
    "appoint": {"en": "Appoint", "ur": "تعیناتی"},
    "relieve": {"en": "Relieve", "ur": "سبکدوشی"},
    "office": {"en": "Office", "ur": "عہدہ"},
    "full_name": {"en": "Full name (for an officer not yet listed)", "ur": "پورا نام (نئے افسر کے لیے)"},
    "from_day": {"en": "First day in office", "ur": "عہدے کا پہلا دن"},
    "on_day": {"en": "First day without the office", "ur": "عہدے کے بغیر پہلا دن"},
    "keep_previous": {"en": "Keep the previous holder", "ur": "سابق عہدیدار کو برقرار رکھیں"},
    "document": {"en": "Document", "ur": "دستاویز"},
    "fix": {"en": "Please correct the fields marked below; nothing was saved.",
            "ur": "براہِ کرم نشان زدہ خانے درست کریں؛ کچھ محفوظ نہیں ہوا۔"},
    "results": {"en": "Results", "ur": "نتائج"},
    "add_rows": {"en": "Leave extra rows empty if not needed.",
                 "ur": "غیر ضروری اضافی سطریں خالی چھوڑ دیں۔"},
    "language": {"en": "Language", "ur": "زبان"},
    "plan": {"en": "Action plan", "ur": "لائحۂ عمل"},
    "away": {"en": "I will be away", "ur": "میں غیر حاضر رہوں گا"},
    "away_help": {"en": "While you are away, your substitute sees your waiting steps and decides "
                        "them for you; every decision names you both.",
                  "ur": "آپ کی غیر حاضری میں آپ کا متبادل آپ کے زیرِ التوا مراحل دیکھے گا اور آپ کی "
                        "جگہ فیصلہ کرے گا؛ ہر فیصلے میں دونوں کے نام درج ہوں گے۔"},
    "away_officer": {"en": "Who is away", "ur": "غیر حاضر افسر"},
    "substitute": {"en": "Substitute", "ur": "متبادل"},
    "from": {"en": "From", "ur": "از"},
    "until": {"en": "Until", "ur": "تا"},
    "period": {"en": "Period", "ur": "مدت"},
    "record_away": {"en": "Record the absence", "ur": "غیر حاضری درج کریں"},
    "absences": {"en": "Absences", "ur": "غیر حاضریاں"},
    "no_absences": {"en": "No absences recorded.", "ur": "کوئی غیر حاضری درج نہیں۔"},
    "back_now": {"en": "I am back", "ur": "میں واپس آ گیا ہوں"},
    "shown_of": {"en": "shown, the soonest deadlines first", "ur": "دکھائے گئے، قریب ترین آخری تاریخ پہلے"},
    "select": {"en": "Select", "ur": "منتخب کریں"},
    "for_officer": {"en": "for", "ur": "بجائے"},
    "escalated_to_you": {"en": "escalated to you", "ur": "آپ کو منتقل شدہ"},
    "escalated": {"en": "escalated", "ur": "منتقل شدہ"},
    "digest": {"en": "Digest", "ur": "ڈائجسٹ"},
    "version": {"en": "Version", "ur": "نسخہ"},
    "decisions": {"en": "Decisions", "ur": "فیصلے"},
    "recorded": {"en": "recorded", "ur": "درج ہوئے"},
    "refused": {"en": "refused", "ur": "مسترد ہوئے"},
    "message": {"en": "Message", "ur": "پیغام"},
    "seats": {"en": "Seats", "ur": "نشستیں"},
    "action": {"en": "Action", "ur": "اقدام"},
    "one_per_line": {"en": "one per line", "ur": "ہر سطر میں ایک"},
    "ok": {"en": "OK", "ur": "ٹھیک ہے"},
    "wrong_login": {"en": "Wrong username or password.", "ur": "غلط صارف نام یا پاس ورڈ۔"},
    "yes": {"en": "Yes", "ur": "ہاں"},
    "no": {"en": "No", "ur": "نہیں"},
    "plan_of": {"en": "Action plan", "ur": "لائحۂ عمل"},
    "report_of": {"en": "Follow-up report", "ur": "پیروی کی رپورٹ"},
    "no_plan": {"en": "No actions in this quarter's plan.", "ur": "اس سہ ماہی کے لائحۂ عمل میں کوئی اقدام نہیں۔"},
    "your_decision": {"en": "Your decision", "ur": "آپ کا فیصلہ"},
    "mail_hint": {"en": "Nothing is recorded until you press a button. This link works for one decision "
                        "and expires on", "ur": "بٹن دبانے تک کچھ درج نہیں ہوتا۔ یہ ربط ایک فیصلے کے لیے ہے اور "
                        "اس تاریخ کو ختم ہو جائے گا:"},
    "mail_reason": {"en": "A reason is needed to return or reject.",
                    "ur": "واپس بھیجنے یا مسترد کرنے کے لیے وجہ لکھنا ضروری ہے۔"},
    "recorded_one": {"en": "recorded", "ur": "درج ہو گیا"},
    "now_at": {"en": "is now at", "ur": "اب اس مرحلے پر ہے:"},
    "recorded_as": {"en": "Recorded as", "ur": "بطور درج:"},
    "link_used": {"en": "This link is now used up.", "ur": "یہ ربط اب استعمال ہو چکا ہے۔"},
    "log_in_to_see": {"en": "Log in to see the item", "ur": "معاملہ دیکھنے کے لیے لاگ ان کریں"},
    "link_refused": {"en": "This link cannot be used", "ur": "یہ ربط استعمال نہیں ہو سکتا"},
    "nothing_changed": {"en": "Nothing was changed. To see the item and what you can do on it now, "
                              "log in to Manzoori.",
                        "ur": "کچھ تبدیل نہیں ہوا۔ معاملہ اور اس پر اپنی ممکنہ کارروائی دیکھنے کے لیے منظوری میں لاگ ان کریں۔"},
    "error": {"en": "Error", "ur": "خرابی"},
    # Guiding pages (issue 15)
    "for_example": {"en": "For example", "ur": "مثال کے طور پر"},
    "add_row": {"en": "Add a row", "ur": "ایک سطر شامل کریں"},
    "remove_row": {"en": "Remove this row", "ur": "یہ سطر ہٹائیں"},
    "notice_done": {"en": "Done: {action} on {reference}.", "ur": "ہو گیا: {reference} پر {action}۔"},
    "notice_drafted": {"en": "Draft {reference} saved; it stays with you until you submit it.",
                       "ur": "مسودہ {reference} محفوظ ہو گیا؛ جمع کرانے تک یہ آپ کے پاس رہے گا۔"},
    "notice_waits": {"en": "It is now at {step}, waiting for {who}.",
                     "ur": "اب یہ مرحلہ {step} پر ہے اور ان کا منتظر ہے: {who}۔"},
    "notice_ended": {"en": "Its flow has ended: {state}.", "ur": "اس کا سلسلہ مکمل ہو گیا: {state}۔"},
    "reassign_done": {"en": "Reassigned", "ur": "منتقل کر دیا گیا"},
    "bulk_choose": {"en": "Decision", "ur": "فیصلہ"},
    "bulk_none": {"en": "— choose a decision —", "ur": "— فیصلہ منتخب کریں —"},
    "bulk_differ": {"en": "No one decision can be taken on all the listed items at once: "
                          "open each item to act on it.",
                    "ur": "درج تمام معاملات پر ایک ساتھ کوئی ایک فیصلہ نہیں ہو سکتا: "
                          "ہر معاملہ کھول کر فیصلہ کریں۔"},
    "route": {"en": "Route", "ur": "راستہ"},
    "waits_for": {"en": "waits for", "ur": "منتظر برائے"},
    "route_help": {"en": "Each row is a party, each column a step; ▶ marks where the item waits "
                         "now and who holds that step, ✓ the steps done.",
                   "ur": "ہر قطار ایک فریق اور ہر کالم ایک مرحلہ ہے؛ ▶ بتاتا ہے کہ معاملہ اب کہاں اور کس کا "
                         "منتظر ہے، ✓ مکمل مراحل۔"},
    "search": {"en": "Search", "ur": "تلاش"},
    "words": {"en": "Words of the title", "ur": "عنوان کے الفاظ"},
    "party": {"en": "Party", "ur": "فریق"},
    "any": {"en": "any", "ur": "کوئی بھی"},
    "since": {"en": "Changed on or after", "ur": "اس تاریخ یا بعد میں تبدیل"},
    "until_day": {"en": "Changed on or before", "ur": "اس تاریخ یا پہلے تبدیل"},
    "updated": {"en": "Last change", "ur": "آخری تبدیلی"},
    "found": {"en": "{count} items found", "ur": "{count} معاملات ملے"},
    "none_found": {"en": "No item you may read matches.", "ur": "آپ کے پڑھنے کے قابل کوئی معاملہ مطابق نہیں۔"},
    "previous": {"en": "Previous", "ur": "پچھلا"},
    "next_page": {"en": "Next", "ur": "اگلا"},
    "page_of": {"en": "Page {page} of {pages}", "ur": "صفحہ {page} از {pages}"},
    "bad_date": {"en": "Write the date like 2025-07-01 (year-month-day).",
                 "ur": "تاریخ اس طرح لکھیں: 2025-07-01 (سال-مہینہ-دن)"},
    # Insight (issue 18)
    "insight": {"en": "Insight", "ur": "جائزۂ کارکردگی"},
    "insight_title": {"en": "Where approvals wait", "ur": "منظوریاں کہاں رکتی ہیں"},
    "insight_scope": {"en": "Figures over the items you may read", "ur": "اعداد و شمار صرف ان معاملات پر جو آپ دیکھ سکتے ہیں"},
    "insight_from": {"en": "From", "ur": "از"},
    "insight_to": {"en": "To", "ur": "تا"},
    "insight_all": {"en": "All", "ur": "سب"},
    "insight_office": {"en": "Office", "ur": "عہدہ"},
    "insight_show": {"en": "Show", "ur": "دکھائیں"},
    "insight_flow": {"en": "Flow version", "ur": "طریقۂ کار کا نسخہ"},
    "insight_definition": {"en": "Definition version", "ur": "تعریف کا نسخہ"},
    "insight_started": {"en": "Items started", "ur": "شروع ہونے والے معاملات"},
    "insight_ended": {"en": "Items ended", "ur": "ختم ہونے والے معاملات"},
    "insight_in_force": {"en": "in force", "ur": "نافذ"},
    "insight_adopted": {"en": "adopted", "ur": "منظور شدہ"},
    "insight_executed": {"en": "executed", "ur": "عمل درآمد شدہ"},
    "insight_rejected": {"en": "rejected", "ur": "مسترد"},
    "insight_withdrawn": {"en": "withdrawn", "ur": "واپس لیے گئے"},
    "insight_cycle_time": {"en": "Submission to end (median / 90th percentile)", "ur": "جمع کرانے سے اختتام تک (وسطانیہ / نوے فیصد)"},
    "insight_days": {"en": "days", "ur": "دن"},
    "insight_late_share": {"en": "Steps closed after their deadline", "ur": "آخری تاریخ کے بعد بند ہونے والے مراحل"},
    "insight_cycles": {"en": "Items by cycles of revision", "ur": "نظرِ ثانی کے دوروں کے لحاظ سے معاملات"},
    "insight_notices": {"en": "Reminders / escalations", "ur": "یاد دہانیاں / بالا افسر کو ارسال"},
    "insight_waits": {"en": "Days each step waited", "ur": "ہر مرحلے کا انتظار (دن)"},
    "insight_median": {"en": "Median", "ur": "وسطانیہ"},
    "insight_max": {"en": "Longest", "ur": "طویل ترین"},
    "insight_waited_on": {"en": "Waited on now", "ur": "اس وقت کس کا انتظار ہے"},
    "insight_open": {"en": "Open", "ur": "کھلے"},
    "insight_oldest": {"en": "Oldest (days)", "ur": "سب سے پرانا (دن)"},
    "insight_latest": {"en": "Latest steps", "ur": "سب سے زیادہ تاخیر والے مراحل"},
    "insight_working_days_late": {"en": "Working days late", "ur": "تاخیر (کام کے دن)"},
    "insight_csv": {"en": "Download the figures (CSV)", "ur": "اعداد و شمار ڈاؤن لوڈ کریں (CSV)"},
    "insight_as_svg": {"en": "the chart as SVG", "ur": "چارٹ بطور SVG"},
    "insight_as_png": {"en": "as PNG", "ur": "بطور PNG"},
}

TERMS: dict[str, dict[str, str]] = {
    # Item kinds (engine.contract.ItemKind); the document's Urdu heading says the same.
    "work_plan": {"en": "work plan", "ur": "ورک پلان"},
    "joint_resolution": {"en": "joint resolution", "ur": "مشترکہ قرارداد"},
    "agreement": {"en": "inter-provincial agreement", "ur": "بین الصوبائی معاہدہ"},
    # Where an item ends (engine.core.flows.EndState).
    "in_force": {"en": "in force", "ur": "نافذ العمل"},
    "adopted": {"en": "adopted", "ur": "منظور شدہ (اختیار کردہ)"},
    "executed": {"en": "executed", "ur": "طے پا گیا"},
    "rejected": {"en": "rejected", "ur": "مسترد"},
    "withdrawn": {"en": "withdrawn", "ur": "واپس لیا گیا"},
    # A step's status (engine.store.StepStatus).
    "open": {"en": "open", "ur": "زیرِ کارروائی"},
    "pending": {"en": "pending", "ur": "باری کا منتظر"},
    "done": {"en": "done", "ur": "مکمل"},
    "closed": {"en": "closed", "ur": "بند"},
    "ahead": {"en": "ahead", "ur": "آگے"},
    # Plan actions' progress (engine.store.ProgressStatus, ReportState).
    "not_started": {"en": "not started", "ur": "شروع نہیں ہوا"},
    "in_progress": {"en": "in progress", "ur": "جاری"},
    "blocked": {"en": "blocked", "ur": "رکا ہوا"},
    "unreported": {"en": "unreported", "ur": "رپورٹ نہیں ہوئی"},
    "cleared": {"en": "cleared", "ur": "منظور شدہ"},
    "draft": {"en": "draft", "ur": "مسودہ"},
}
"""The engine's own names; the steps of the core flows are added below from their
definitions (a party's extra steps bring their own labels in the item's route)."""

for _flow in FLOWS.values():
    for _step in _flow.steps:
        TERMS.setdefault(_step.name, {"en": _step.label_en, "ur": _step.label_ur})

EVENTS: dict[str, dict[str, str]] = {
    "draft": {"en": "drafted", "ur": "مسودہ تیار کیا"},
    "submit": {"en": "submitted", "ur": "جمع کرایا"},
    "revise": {"en": "revised", "ur": "نظرِ ثانی کی"},
    "comment": {"en": "commented", "ur": "تبصرہ کیا"},
    "feedback": {"en": "gave feedback", "ur": "رائے دی"},
    "clear": {"en": "cleared", "ur": "منظوری کے لیے آگے بھیجا"},
    "return": {"en": "returned for revision", "ur": "نظرِ ثانی کے لیے واپس کیا"},
    "approve": {"en": "approved", "ur": "منظور کیا"},
    "reject": {"en": "rejected", "ur": "مسترد کیا"},
    "sign": {"en": "signed", "ur": "دستخط کیے"},
    "withdraw": {"en": "withdrew", "ur": "واپس لیا"},
    "reassign": {"en": "reassigned", "ur": "دوسرے افسر کو سونپا"},
    "hand-over": {"en": "handed back to the office", "ur": "عہدے کو واپس سونپا"},
    "escalate": {"en": "escalated", "ur": "بالا عہدے کو منتقل کیا"},
    "remind": {"en": "reminder sent", "ur": "یاد دہانی بھیجی"},
    "migrated": {"en": "moved to the party's new definition", "ur": "فریق کی نئی تعریف پر منتقل"},
    "planned": {"en": "entered in the action plan", "ur": "لائحۂ عمل میں شامل"},
    "progress report": {"en": "progress reported", "ur": "پیش رفت کی رپورٹ"},
    "progress cleared": {"en": "progress report cleared", "ur": "پیش رفت کی رپورٹ منظور"},
    "follow-up reminder": {"en": "follow-up reminder", "ur": "پیروی کی یاد دہانی"},
}

ACTIONS: dict[str, dict[str, str]] = {
    "submit": {"en": "Submit", "ur": "جمع کرائیں"},
    "revise": {"en": "Revise", "ur": "نظرِ ثانی"},
    "comment": {"en": "Comment", "ur": "تبصرہ"},
    "feedback": {"en": "Give feedback", "ur": "رائے دیں"},
    "clear": {"en": "Clear", "ur": "منظوری کے لیے آگے بھیجیں"},
    "return": {"en": "Return for revision", "ur": "نظرِ ثانی کے لیے واپس"},
    "approve": {"en": "Approve", "ur": "منظور"},
    "reject": {"en": "Reject", "ur": "مسترد"},
    "sign": {"en": "Sign", "ur": "دستخط"},
    "withdraw": {"en": "Withdraw", "ur": "واپس لیں"},
}


def _lookup(table: dict[str, dict[str, str]], lang: str) -> Callable[[str], str]:
    def name(word: str) -> str:
        entry = table.get(str(word))
        return entry[lang] if entry else str(word).replace("_", " ")
    return name


def term(lang: str) -> Callable[[str], str]:
    """`n(word)`: a state, step, kind or status in `lang` (unknown ones as they are, which
    the catalogue test does not let through)."""
    return _lookup(TERMS, lang if lang in LANGUAGES else "en")


def event_name(lang: str) -> Callable[[str], str]:
    """`ev(action)`: what a history line's action says in `lang`."""
    return _lookup(EVENTS, lang if lang in LANGUAGES else "en")


def day(lang: str) -> Callable[[date | datetime | str | None], str]:
    """`day(value)`: a date as "3 September 2025" / "3 ستمبر 2025", CLDR's month names and
    its digits for each language (Urdu's CLDR default numbering is the Latin one), the same
    day-month-year order in both so that a date reads the same on both pages."""
    locale = "ur_PK" if lang == "ur" else "en_GB"

    def shown(value: date | datetime | str | None) -> str:
        if value in (None, ""):
            return "—"
        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        return format_date(value, "d MMMM y", locale=locale)
    return shown


def ltr(value: object) -> Markup:
    """An identifier (reference, code, username, quarter, digest) kept left to right on an
    Urdu page: "2025-Q3" must not read "Q3-2025"."""
    return Markup('<bdi dir="ltr">{}</bdi>').format(escape(str(value)))


def isolated(value: object) -> Markup:
    """A value typed by someone, in whichever language: isolated, its own direction."""
    return Markup("<bdi>{}</bdi>").format(escape(str(value)))


def route_labels(route: list[dict[str, str]], lang: str) -> Callable[[str], str]:
    """`step_label(name)`: a step of this item's route (a party's extra steps included) in
    `lang`, from the labels the route carries; an end state or an unknown name from TERMS."""
    lang = lang if lang in LANGUAGES else "en"
    labels = {step["name"]: step[f"label_{lang}"] for step in route if step.get(f"label_{lang}")}
    known = term(lang)
    return lambda name: labels.get(name) or known(name)


def translator(lang: str) -> Callable[[str], str]:
    """`t(key)`, the templates' word for `key` in `lang` (the key itself if it has none)."""
    lang = lang if lang in LANGUAGES else "en"

    def t(key: str) -> str:
        entry = TEXT.get(key) or ACTIONS.get(key)
        return entry[lang] if entry else key
    return t
