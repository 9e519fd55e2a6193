"""Persistence: the only package that imports SQLAlchemy, SQLModel and Alembic.

- ``tables``, ``engine``, ``migrations/``: the schema, engines and migrations.
- ``session``: :class:`~supervision_core.store.session.Database`, the unit of work every
  module below shares (session, write lock, the event append); ``rows``: row <-> value.
- One module per aggregate, each a class the ``Ledger`` facade delegates to:
  ``centers``, ``supervisors``, ``issues``, ``quarantine``, ``reports``, ``batches``,
  ``outbox`` (with ``notices``, written in a step's transaction), ``leases``,
  ``dashboard``, ``year``, ``briefing``, ``ledger_pages``, ``users``, ``messengers``.
- Intake: ``intake`` (reports into issues or quarantine, a chunk a transaction),
  ``lookups`` (what it looks up per report); the bulk fast paths isolated in
  ``intake_bulk`` (driver SQL, ``ATTACH``), ``bulk`` (executemany, ids ahead) and
  ``staging`` (stdlib only, for the reading process).

The ORM (a SQLModel session) takes the ledger's steps; Core or driver SQL appears only
where a benchmark in ``bench/`` justified it, named in a comment at the spot.
"""
