-- Version 3: central's own edits of reference rows carry a version too.
--
-- Terminals and central decide "which edit came last" by (hlc, origin). An
-- op from a terminal writes the version it carries; any other write (the
-- config API, an administrator's SQL) would otherwise keep the version of
-- the row's previous writer, and a terminal that already holds that version
-- would ignore the change. So a write that leaves the version as it was is
-- stamped here: a hybrid logical clock from central's wall clock, never
-- behind the row's previous stamp, with origin 'central'.

CREATE FUNCTION stamp_central_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    now_hlc BIGINT := floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint << 16;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.hlc = 0 THEN
            NEW.hlc := now_hlc;
            NEW.origin := 'central';
        END IF;
    ELSIF NEW.hlc = OLD.hlc AND NEW.origin = OLD.origin THEN
        NEW.hlc := greatest(now_hlc, OLD.hlc + 1);
        NEW.origin := 'central';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER branches_version BEFORE INSERT OR UPDATE ON branches
    FOR EACH ROW EXECUTE FUNCTION stamp_central_version();
CREATE TRIGGER employees_version BEFORE INSERT OR UPDATE ON employees
    FOR EACH ROW EXECUTE FUNCTION stamp_central_version();
CREATE TRIGGER cash_registers_version BEFORE INSERT OR UPDATE ON cash_registers
    FOR EACH ROW EXECUTE FUNCTION stamp_central_version();
CREATE TRIGGER assignments_version BEFORE INSERT OR UPDATE ON cash_register_assignments
    FOR EACH ROW EXECUTE FUNCTION stamp_central_version();
