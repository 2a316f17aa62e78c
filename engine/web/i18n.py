"""The interface's own words in English and Urdu. Form labels come from the parties'
form models (each has both); this is only the app's chrome."""

from __future__ import annotations

from collections.abc import Callable

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


def translator(lang: str) -> Callable[[str], str]:
    """`t(key)`, the templates' word for `key` in `lang` (the key itself if it has none)."""
    lang = lang if lang in LANGUAGES else "en"

    def t(key: str) -> str:
        entry = TEXT.get(key) or ACTIONS.get(key)
        return entry[lang] if entry else key
    return t
