"""Rows written in bulk at the database's speed: many new model instances in one
INSERT, their values handed over column by column (rows/insert.py)."""
