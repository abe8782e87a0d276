"""indexes for the hot paths and the purge (issue 9: flat cost as history grows)

Every query of a login, a token request, a session lookup, recovery, linking, account requests
and the roster import, and every predicate of the purge, is served by an index
(tests/perf/test_query_plans.py proves it with EXPLAIN on PostgreSQL).

On PostgreSQL the indexes are built CONCURRENTLY, outside a transaction, so that upgrading a
database that already holds history does not block logins while they are built.

Revision ID: 226d4238cdb9
Revises: c4d267830b80
Create Date: 2026-12-05 13:01:13.935314

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '226d4238cdb9'
down_revision = 'c4d267830b80'
branch_labels = None
depends_on = None

#: (index, table, columns or expressions)
INDEXES = [
    # login lookup by e-mail: person first (lower(email)), then its accounts
    ('ix_person_email_lower', 'person', [sa.text('lower(email)')]),
    # recovery and account requests: names
    ('ix_person_family_given', 'person', ['family_name', 'given_name']),
    ('ix_person_given_name', 'person', ['given_name']),  # dropped again in 8d3f6b2a91c4
    # the nonce replay check, twice per login
    ('ix_authorization_code_school_nonce', 'authorization_code', ['school_id', 'nonce']),
    # the purge, and the foreign keys it deletes through
    ('ix_authorization_code_expires_at', 'authorization_code', ['expires_at']),
    ('ix_authorization_code_session_id', 'authorization_code', ['session_id']),
    ('ix_token_access_expires_at', 'token', ['access_expires_at']),
    ('ix_token_refresh_expires_at', 'token', ['refresh_expires_at']),
    ('ix_token_rotated_at', 'token', ['rotated_at']),
    ('ix_sso_session_expires_at', 'sso_session', ['expires_at']),
    ('ix_sso_session_ended_at', 'sso_session', ['ended_at']),
    ('ix_session_participant_account_id', 'session_participant', ['account_id']),
    ('ix_outbox_delivered', 'outbox_message', ['status', 'delivered_at']),
    ('ix_login_throttle_last_failure_at', 'login_throttle', ['last_failure_at']),
    ('ix_account_request_status_confirm_expires', 'account_request', ['status', 'confirm_expires_at']),
    ('ix_account_request_mail_sent_at', 'account_request_mail', ['sent_at']),
    ('ix_person_merge_flow_id', 'person_merge', ['flow_id']),
    ('ix_link_flow_expires_at', 'link_flow', ['expires_at']),
    ('ix_recovery_token_expires_at', 'recovery_token', ['expires_at']),
    ('ix_email_confirmation_expires_at', 'email_confirmation', ['expires_at']),
    # the director's audit page: one school's events, newest first (replaces school_id alone)
    ('ix_audit_event_school_id_id', 'audit_event', ['school_id', 'id']),
]

#: replaced: (index, table, columns)
REPLACED = [
    ('ix_person_email', 'person', ['email']),  # nothing compares email without lower()
    ('ix_audit_event_school_id', 'audit_event', ['school_id']),
]


def _concurrently() -> dict:
    return {'postgresql_concurrently': True}


def upgrade():
    with op.get_context().autocommit_block():
        for name, table, columns in INDEXES:
            op.create_index(name, table, columns, unique=False, **_concurrently())
        for name, table, _columns in REPLACED:
            op.drop_index(name, table_name=table, **_concurrently())


def downgrade():
    with op.get_context().autocommit_block():
        for name, table, columns in REPLACED:
            op.create_index(name, table, columns, unique=False, **_concurrently())
        for name, table, _columns in reversed(INDEXES):
            op.drop_index(name, table_name=table, **_concurrently())
