"""The words the language walk (``test_language_walk.py``) refuses, and the ones it allows.

Keep these lists short and literal: each entry is something a user once saw, or could see, in the
wrong language. Matching is on whole words (``\\b``), case-sensitive unless the entry is listed
in a ``*_ANY_CASE`` set.

Indonesian pages (the default language) must not show English UI words or raw codes; English
pages must not show Indonesian UI words. Proper names (places, organisations, programs) are data,
not words, and are allowed through ``ALLOWED_PHRASES``.
"""

from __future__ import annotations

import re

# English words and phrases that must not appear on an Indonesian page. Words that are also
# Indonesian (Data, Status, Program, Total, Filter, Area, Monitoring, Email, Login, Audit, NIK,
# PDF, CSV, XLSX, No. for "nomor") are deliberately absent.
ENGLISH_ON_INDONESIAN = (
    # buttons and links
    "Save",
    "Cancel",
    "Search",
    "Submit",
    "Back",
    "Next",
    "Previous",
    "Edit",
    "Delete",
    "Add",
    "Download",
    "Upload",
    "Export",
    "Sign in",
    "Sign out",
    "Log in",
    "Log out",
    "Continue",
    "Apply",
    "Show",
    "Open",
    "Close",
    "Approve",
    "Reject",
    "Send",
    "Record",
    # values Python or Django leak when a label is missing
    "None",
    "True",
    "False",
    "null",
    # monitoring and finance jargon left in English
    "Focal point",
    "focal point",
    "Seed",
    "seed",
    "Overhead",
    "overhead",
    "batch",
    "Batch",
    "Dashboard",
    "dashboard",
    # words of the domain
    "Case",
    "Cases",
    "Child",
    "Children",
    "Household",
    "Village",
    "District",
    "Regency",
    "Province",
    "Female",
    "Male",
    "Referral",
    "Referrals",
    "Complaint",
    "Complaints",
    "Payment",
    "Payments",
    "Beneficiary",
    "Beneficiaries",
    "Nomination",
    "Nominations",
    "Provider",
    "Providers",
    "Report",
    "Reports",
    "Overdue",
    "Pending",
    "Approved",
    "Rejected",
    "Done",
    "Social worker",
    "Coordinator",
    "Psychologist",
    # small words that only English sentences have
    "the",
    "The",
    "and",
    "of",
    "with",
    "from",
    "this",
    "This",
    "not",
    "has",
    "have",
    "been",
    "will",
    "must",
    "should",
    "there",
    "There",
    "here",
    "your",
    "Your",
    "you",
    "You",
)

# Indonesian words that must not appear on an English page.
INDONESIAN_ON_ENGLISH = (
    "Kasus",
    "kasus",
    "Simpan",
    "Batal",
    "Selesai",
    "Cari",
    "Kirim",
    "Unduh",
    "Masuk",
    "Keluar",
    "Anak",
    "anak",
    "Laporan",
    "Rujukan",
    "rujukan",
    "Pengaduan",
    "pengaduan",
    "Pembayaran",
    "Penerima",
    "Perempuan",
    "Laki-laki",
    "Pekerja sosial",
    "Penyelia",
    "Koordinator",
    "Tidak",
    "tidak",
    "Belum",
    "belum",
    "Sudah",
    "sudah",
    "dan",
    "yang",
    "untuk",
    "dengan",
    "dari",
    "atau",
    "Langkah",
    "berikutnya",
    "Terlambat",
    "Menunggu",
    "Disetujui",
    "Ditolak",
    "Tahap",
    "Kembali",
)

# Raw codes: snake_case tokens (``birth_certificate``, ``social_worker``) and dotted model
# labels (``cases.case``) — anywhere, in either language.
SNAKE_CASE = re.compile(r"(?<![\w./@-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/@-])")
APP_LABELS = (
    "accounts",
    "areas",
    "audit",
    "registry",
    "vulnerability",
    "cases",
    "referrals",
    "programs",
    "payments",
    "grievances",
    "monitoring",
    "core",
    "auth",
    "contenttypes",
    "sessions",
    "admin",
    "django_tasks_db",
)
MODEL_LABEL = re.compile(r"\b(?:" + "|".join(APP_LABELS) + r")\.[a-z][a-z_]*\b(?![./])")
# A sex column shows a label, never a one-letter code: a table cell holding only F, M, L or P.
SEX_CODE_CELL = re.compile(r"^(?:F|M|L|P)$")

# Phrases that look like a forbidden word but are proper names or data the user typed. They
# are removed from the text before the check (longest first).
ALLOWED_PHRASES = (
    # places and organisations keep their names in every language
    "Kota Makassar",
    "Kabupaten Gowa",
    "Kabupaten Klaten",
    "Kabupaten Tulungagung",
    "Kota Surakarta",
    "Sekretariat PKSAI",
    "Kementerian Sosial RI",
    "Dinas Sosial",
    # the name of the system
    "Perlindungan Khusus dan Sistem Anak Indonesia",
)
