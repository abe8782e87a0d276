"""person.birthdate indexed (an account request's likely accounts); the given-name index dropped

The likely accounts of an account request include people of the same family name and birth
date: with only the name index that read every namesake in the country. Names are looked up
by both names together (``ix_person_family_given``), so the given name alone needs no index.
Built CONCURRENTLY on PostgreSQL, as in 226d4238cdb9.

Revision ID: 8d3f6b2a91c4
Revises: 5e0a9c1d7b42
Create Date: 2026-12-05 14:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '8d3f6b2a91c4'
down_revision = '5e0a9c1d7b42'
branch_labels = None
depends_on = None

CONCURRENTLY = {'postgresql_concurrently': True}


def upgrade():
    with op.get_context().autocommit_block():
        op.create_index('ix_person_birthdate', 'person', ['birthdate'], unique=False, **CONCURRENTLY)
        op.drop_index('ix_person_given_name', table_name='person', **CONCURRENTLY)


def downgrade():
    with op.get_context().autocommit_block():
        op.create_index('ix_person_given_name', 'person', ['given_name'], unique=False, **CONCURRENTLY)
        op.drop_index('ix_person_birthdate', table_name='person', **CONCURRENTLY)
