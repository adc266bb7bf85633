-- The console's audit page filters by date, person, entity and action and
-- shows the newest first: the single-column indexes become ones that read a
-- filter's newest entries in order (each keeps the old one's prefix).
DROP INDEX idx_audit_log_created;
DROP INDEX idx_audit_log_employee;
DROP INDEX idx_audit_log_entity;
DROP INDEX idx_audit_log_action;
CREATE INDEX idx_audit_log_created ON audit_log(created_at DESC, id DESC);
CREATE INDEX idx_audit_log_employee ON audit_log(employee_id, created_at DESC);
CREATE INDEX idx_audit_log_entity ON audit_log(entity_type, entity_id, created_at DESC);
CREATE INDEX idx_audit_log_action ON audit_log(action, created_at DESC);
