-- Version 3: an employee changes their own PIN.

-- Refused attempts at changing one's own PIN: a wrong current PIN, or a new
-- PIN that cannot be taken. Five in fifteen minutes lock the change for that
-- employee for fifteen minutes, so the form is no faster a way to guess a
-- PIN than the login is. Persisted, so a restart does not reset the count.
CREATE TABLE pin_change_attempts (
    id INTEGER PRIMARY KEY,
    employee_id TEXT NOT NULL REFERENCES employees(id),
    reason TEXT NOT NULL CHECK (reason IN ('wrong_current', 'unavailable')),
    attempted_at TEXT NOT NULL
) STRICT;

CREATE INDEX pin_change_attempts_by_employee ON pin_change_attempts (employee_id, attempted_at);
