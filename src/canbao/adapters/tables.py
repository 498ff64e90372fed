"""The registry's tables (SQLAlchemy Core), national field names and codes (SPEC section 2, 7).

Temporal design (docs/adr/0006-registry-history.md): nothing is updated in place or deleted.
Every change is one row of ``change_log`` (who, when, why: the rule ids and citations of the
decision, and the file row it came from). What a person or an enrollment relation *is* lives
in identity tables written once (``person``, ``certificate``, ``enrollment``); what it *was*
at a date lives in version tables (``person_version``, ``enrollment_version``), each version
valid from a business date (``valid_from``) until the next. The state as of a date is the
latest version valid on it; the current state is the state as of today.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Money = Numeric(12, 2, asdecimal=True)
Code = String(8)
Region = String(6)


def _change() -> Column[int]:
    return Column("change_id", ForeignKey("change_log.id"), nullable=False, index=True)


#: One row per change: the audit trail (W12) and the decision behind it.
change_log = Table(
    "change_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("psn_chg_type", Code, nullable=True),
    Column("psn_no", String(32), nullable=True, index=True),
    Column("reason", Text, nullable=False, default=""),
    Column("rules", JSON, nullable=False, default=list),
    Column("citations", JSON, nullable=False, default=list),
    Column("decision", JSON, nullable=True),
    Column("source_file", String(255), nullable=True),
    Column("source_row", Integer, nullable=True),
    # The office (its region) that took a registration, change or stop (全市通办, K5).
    Column("office_admdvs", Region, nullable=True),
    # A request repeated with the same key (a re-imported file row, an API idempotency key)
    # finds this change instead of making another.
    Column("request_key", String(128), nullable=True, unique=True),
)

person = Table(
    "person",
    metadata,
    Column("psn_no", String(32), primary_key=True),
    _change(),
)

#: One person per normalised certificate (type + number): enforced here (ADR 0007). A
#: person's certificate on a date is the one with the latest ``valid_from`` on or before it
#: (a number given later, a changed number: a new row, the old one kept, ADR 0006).
certificate = Table(
    "certificate",
    metadata,
    Column("psn_cert_type", Code, primary_key=True),
    Column("certno", String(32), primary_key=True),
    Column("psn_no", ForeignKey("person.psn_no"), nullable=False, index=True),
    Column("valid_from", Date, nullable=False),
    _change(),
)

person_version = Table(
    "person_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("psn_no", ForeignKey("person.psn_no"), nullable=False),
    Column("valid_from", Date, nullable=False),
    _change(),
    Column("psn_name", String(64), nullable=False),
    Column("gend", Code, nullable=False),
    Column("brdy", Date, nullable=True),
    Column("naty", Code, nullable=True),
    Column("hukou_admdvs", Region, nullable=True),
    Column("resd_admdvs", Region, nullable=True),
    Column("tel", String(32), nullable=True),
    Column("bank_acct", String(64), nullable=True),
    Column("alive", Boolean, nullable=False, default=True),
    Column("death_date", Date, nullable=True),
    Column("under_parent_name", Boolean, nullable=False, default=False),
    # 居住证有效期: the last day of the residence permit enrolled on (B13).
    Column("permit_expires_on", Date, nullable=True),
    Index("ix_person_version_asof", "psn_no", "valid_from", "id"),
)

#: 参保关系: one per scheme and region; duplicates are stored, found and resolved (D1–D8).
enrollment = Table(
    "enrollment",
    metadata,
    Column("rlts_id", String(32), primary_key=True),
    Column("psn_no", ForeignKey("person.psn_no"), nullable=False, index=True),
    Column("insutype", Code, nullable=False),
    Column("insuplc_admdvs", Region, nullable=False, index=True),
    _change(),
)

enrollment_version = Table(
    "enrollment_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rlts_id", ForeignKey("enrollment.rlts_id"), nullable=False),
    Column("valid_from", Date, nullable=False),
    _change(),
    Column("psn_type", Code, nullable=False),
    Column("psn_insu_stas", Code, nullable=False),
    Column("psn_clct_stas", Code, nullable=False),
    Column("psn_insu_date", Date, nullable=False),
    Column("paus_insu_date", Date, nullable=True),
    Column("unit_id", ForeignKey("unit.unit_id"), nullable=True),
    Column("household_id", ForeignKey("household.household_id"), nullable=True),
    # The engine's benefit_start decision (B1–B13) for the version's year, where one was made.
    Column("benefit_start", Date, nullable=True),
    Column("benefit_end", Date, nullable=True),
    Column("waiting_months", Integer, nullable=True),
    Index("ix_enrollment_version_asof", "rlts_id", "valid_from", "id"),
)

#: 资助参保身份 with their validity, as the departments' monthly lists give them (W3, K7). Each
#: row is a version of one identity (person, identity, ``begin``): 新增 appends it open, 减员
#: appends it again with its ``end`` (the last day it holds); the latest row is its state. A
#: version counts for funding once a reviewer other than its proposer confirmed it (``review``).
hardship_identity = Table(
    "hardship_identity",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("psn_no", ForeignKey("person.psn_no"), nullable=False),
    Column("identity", String(40), nullable=False),
    Column("begin", Date, nullable=False),
    Column("end", Date, nullable=True),
    Column("department", String(32), nullable=False),
    Column("list_month", String(7), nullable=False, index=True),
    Column("benefit_start", Date, nullable=True),
    _change(),
    Index("ix_hardship_identity_asof", "psn_no", "identity", "begin", "id"),
)

#: Enrollment units: schools (W4), employers, villages (collective accounts, K3).
unit = Table(
    "unit",
    metadata,
    Column("unit_id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(128), nullable=False),
    Column("admdvs", Region, nullable=False),
    _change(),
)

collective_account = Table(
    "collective_account",
    metadata,
    Column("account_id", String(32), primary_key=True),
    Column("unit_id", ForeignKey("unit.unit_id"), nullable=False),
    Column("bank_acct", String(64), nullable=False),
    _change(),
)

household = Table(
    "household",
    metadata,
    Column("household_id", String(32), primary_key=True),
    Column("admdvs", Region, nullable=False),
    Column("bank_acct", String(64), nullable=True),
    Column("account_id", ForeignKey("collective_account.account_id"), nullable=True),
    _change(),
)

household_member = Table(
    "household_member",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("household_id", ForeignKey("household.household_id"), nullable=False, index=True),
    Column("psn_no", ForeignKey("person.psn_no"), nullable=False, index=True),
    Column("joined_on", Date, nullable=False),
    Column("left_on", Date, nullable=True),
    _change(),
)


#: 应征数据: one row per relation and year, written once by the yearly assessment (W2, K2, C6).
#: Written a million at a time by INSERT … SELECT joined with ``enrollment`` and the run's
#: change, so none of them is a foreign key: ``rlts_id`` comes from the relation row the join
#: read, ``psn_no`` is that relation's person (a copy for the lookups by person), ``change_id``
#: the run's change written in the same transaction, and none of these tables deletes rows
#: (ADR 0006). A foreign key costs PostgreSQL a trigger call a row (the one on ``rlts_id`` was
#: half the writing time in the bench), an index a write a row.
assessment = Table(
    "assessment",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rlts_id", String(32), nullable=False),
    # The relation's person, for the files and lists; a person's assessments are found through
    # the person's relations (enrollment.psn_no, then the (relation, year) key): an index of
    # its own would cost every yearly assessment a third of its writing time.
    Column("psn_no", String(32), nullable=False),
    Column("year", Integer, nullable=False),
    Column("standard", Money, nullable=False),
    Column("subsidy", Money, nullable=False),
    Column("payable", Money, nullable=False),
    Column("subsidy_identity", String(40), nullable=True),
    # 申报方式 (C6): normal, zero (全额资助零申报) or reduced_with_identity (定额资助按标识申报).
    Column("declaration", String(24), nullable=False),
    Column("change_id", Integer, nullable=False),
    UniqueConstraint("rlts_id", "year", name="uq_assessment_rlts_id_year"),
)

#: The funding lines of an assessment's subsidy (C4); they add up to the subsidy. Where the
#: documents leave the split open the one line's source is ``undetermined``.
subsidy_line = Table(
    "subsidy_line",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("assessment_id", ForeignKey("assessment.id"), nullable=False, index=True),
    Column("source", String(40), nullable=False),
    Column("amount", Money, nullable=True),
)

#: A file of 应征数据 sent to the tax bureau (K1); its members are in ``tax_batch_item``.
tax_batch = Table(
    "tax_batch",
    metadata,
    Column("batch_id", String(32), primary_key=True),
    Column("admdvs", Region, nullable=False),
    Column("year", Integer, nullable=False),
    _change(),
)

#: Which assessments a batch sent (an assessment is sent again after a resend, K1).
tax_batch_item = Table(
    "tax_batch_item",
    metadata,
    Column("batch_id", ForeignKey("tax_batch.batch_id"), primary_key=True),
    Column("assessment_id", ForeignKey("assessment.id"), primary_key=True, index=True),
)

#: 扣费反馈 and payments by any channel (clct_way, K4): paid, resend or abandoned (K1).
payment = Table(
    "payment",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("assessment_id", ForeignKey("assessment.id"), nullable=False, index=True),
    # paid, resend (not the person's fault), abandoned (自动弃保, K1) or failed (the documents
    # do not say whether the failure abandons).
    Column("result", String(16), nullable=False),
    Column("paid_amount", Money, nullable=False),
    Column("paid_on", Date, nullable=True),
    Column("clct_way", Code, nullable=False),
    Column("failure_reason", Text, nullable=True),
    Column("batch_id", ForeignKey("tax_batch.batch_id"), nullable=True, index=True),
    Column("result_code", Code, nullable=True),
    _change(),
)

#: A feedback line that matches no batch, person or assessment: kept and reported, never lost.
unmatched_feedback = Table(
    "unmatched_feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("problem", String(16), nullable=False),
    Column("batch_id", String(32), nullable=True),
    Column("certno", String(32), nullable=True),
    Column("year", Integer, nullable=True),
    Column("result_code", Code, nullable=True),
    Column("paid_amount", Money, nullable=True),
    Column("paid_on", Date, nullable=True),
    Column("failure_reason", Text, nullable=True),
    _change(),
)

#: 退费申请 with the engine's decision (F1–F6); confirmed and paid are events (review,
#: refund_payment), not columns.
refund_case = Table(
    "refund_case",
    metadata,
    Column("case_id", String(32), primary_key=True),
    Column("psn_no", ForeignKey("person.psn_no"), nullable=False, index=True),
    Column("rlts_id", ForeignKey("enrollment.rlts_id"), nullable=True),
    Column("year", Integer, nullable=False),
    Column("insutype", Code, nullable=False),
    Column("reason", String(32), nullable=False),
    Column("paid_amount", Money, nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("applied_on", Date, nullable=False),
    Column("event_on", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("eligible", Boolean, nullable=True),
    Column("amount", Money, nullable=True),
    Column("terminate", Boolean, nullable=True),
    Column("channel", String(64), nullable=True),
    Column("channel_region", Region, nullable=True),
    _change(),
)

#: The refund paid, through the channel the decision named (F3), after a reviewer confirmed.
refund_payment = Table(
    "refund_payment",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", ForeignKey("refund_case.case_id"), nullable=False, unique=True),
    Column("amount", Money, nullable=False),
    Column("channel", String(64), nullable=False),
    Column("channel_region", Region, nullable=True),
    Column("paid_on", Date, nullable=False),
    _change(),
)

#: A reviewer's word on a proposal (maker-checker): refunds, subsidies, duplicate resolutions.
review = Table(
    "review",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject", String(16), nullable=False),
    Column("subject_id", String(32), nullable=False),
    Column("confirmed", Boolean, nullable=False),
    _change(),
    UniqueConstraint("subject", "subject_id", name="uq_review_subject_subject_id"),
)

#: A proposal to clear one duplicate group (W7, D1–D8): the relations of the group
#: (``records``, their rlts_ids sorted; ``group_key`` the same joined, so that a detection run
#: finds its open proposal again), the day they were looked at, the engine's status
#: (decided, policy_gap) and the facts the registry lacked. The decision with its rule ids and
#: citations is on the change; consent, review and apply are events appended later.
duplicate_case = Table(
    "duplicate_case",
    metadata,
    Column("case_id", String(32), primary_key=True),
    Column("psn_no", ForeignKey("person.psn_no"), nullable=False, index=True),
    Column("records", JSON, nullable=False),
    Column("group_key", Text, nullable=False, index=True),
    Column("as_of", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("missing_facts", JSON, nullable=False, default=list),
    _change(),
)

#: D4: the person's written commitment (承诺书) choosing the relation kept; its change holds
#: the decision made again with the choice.
duplicate_consent = Table(
    "duplicate_consent",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", ForeignKey("duplicate_case.case_id"), nullable=False, unique=True),
    Column("keep_rlts_id", ForeignKey("enrollment.rlts_id"), nullable=False),
    Column("document", Text, nullable=False),
    Column("signed_on", Date, nullable=False),
    _change(),
)

#: A confirmed proposal carried out (D3, D5): one row per relation terminated or suspended
#: (its new version has the same change), with the relation kept and the region to notify.
duplicate_action = Table(
    "duplicate_action",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", ForeignKey("duplicate_case.case_id"), nullable=False, index=True),
    Column("rlts_id", ForeignKey("enrollment.rlts_id"), nullable=False),
    Column("action", String(16), nullable=False),
    Column("keep_rlts_id", ForeignKey("enrollment.rlts_id"), nullable=False),
    Column("notify_region", Region, nullable=True, index=True),
    Column("effective_on", Date, nullable=False),
    _change(),
    UniqueConstraint("case_id", "rlts_id", name="uq_duplicate_action_case_id_rlts_id"),
)

#: D6: the fiscal subsidy of the duplicate year deducted for a relation; ``amount`` from the
#: year's assessment, null (to be determined) where the registry holds none.
subsidy_deduction = Table(
    "subsidy_deduction",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", ForeignKey("duplicate_case.case_id"), nullable=False, index=True),
    Column("rlts_id", ForeignKey("enrollment.rlts_id"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("assessment_id", ForeignKey("assessment.id"), nullable=True),
    Column("amount", Money, nullable=True),
    _change(),
    UniqueConstraint("case_id", "rlts_id", name="uq_subsidy_deduction_case_id_rlts_id"),
)

# --- the service (issue 8): users, reads of personal data, idempotent requests ---------------

#: A user of the API: a role and a region scope (a city with its counties, or one county).
#: The password is kept only as an argon2 hash; the change that created the user says who.
app_user = Table(
    "app_user",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("admdvs", Region, nullable=False),
    _change(),
)

#: Who read whose full record, when and through which route: appended, never changed.
read_audit = Table(
    "read_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("read_at", DateTime(timezone=True), nullable=False),
    Column("username", String(64), nullable=False),
    Column("psn_no", String(32), nullable=False, index=True),
    Column("route", String(255), nullable=False),
    Column("client", String(64), nullable=True),
)

#: The first answer to a request that creates money records, by the user's Idempotency-Key:
#: the same key again gets this answer and writes nothing.
idempotency_key = Table(
    "idempotency_key",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("media_type", String(128), nullable=False),
    Column("headers", JSON, nullable=False, default=dict),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: A target table as imported (T1, W9): the file's title and a digest of its rows. A re-import
#: of the same rows changes nothing; a changed table is a new import, the old one kept.
target_table = Table(
    "target_table",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("digest", String(64), nullable=False, index=True),
    _change(),
)

#: A row of an imported target table as the file prints it: ``kind`` row, part (其中), subtotal
#: (小计) or total (总计); ``part_of`` the clerk's row number of the row it is a part of;
#: ``region`` where the row names a region. A region's target for a year is its row in the
#: latest import that has one.
target_row = Table(
    "target_row",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("table_id", ForeignKey("target_table.id"), nullable=False, index=True),
    Column("row", Integer, nullable=False),
    Column("number", String(16), nullable=False),
    Column("area", String(64), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("part_of", Integer, nullable=True),
    Column("region", Region, nullable=True, index=True),
    Column("target", Integer, nullable=False),
)
