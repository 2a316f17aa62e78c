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
