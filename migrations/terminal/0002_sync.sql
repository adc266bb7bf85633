-- Version 2: what sync with central needs.

-- Last writer wins on reference rows: the hybrid logical clock of the last
-- write and who made it (a device id, or 'central').
ALTER TABLE branches ADD COLUMN hlc INTEGER NOT NULL DEFAULT 0;
ALTER TABLE branches ADD COLUMN origin TEXT NOT NULL DEFAULT '';
ALTER TABLE employees ADD COLUMN hlc INTEGER NOT NULL DEFAULT 0;
ALTER TABLE employees ADD COLUMN origin TEXT NOT NULL DEFAULT '';
ALTER TABLE cash_registers ADD COLUMN hlc INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cash_registers ADD COLUMN origin TEXT NOT NULL DEFAULT '';
ALTER TABLE cash_register_assignments ADD COLUMN hlc INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cash_register_assignments ADD COLUMN origin TEXT NOT NULL DEFAULT '';

-- The newest stamp this terminal issued or saw.
ALTER TABLE sync_state ADD COLUMN hlc INTEGER NOT NULL DEFAULT 0;

-- Rows of central's feed that could not be applied yet because they clash
-- with a local edit not pushed yet (the same PIN, the same register
-- number). Retried on every pull until they apply or a newer version of
-- the same row arrives.
CREATE TABLE sync_deferred (
    entity TEXT PRIMARY KEY,
    change TEXT NOT NULL,
    reason TEXT NOT NULL,
    deferred_at TEXT NOT NULL
) STRICT;
