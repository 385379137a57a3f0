-- oxforge bootstrap 0005: what tables created through the API use — the `updated_at` trigger.
-- project_admin may resolve names in `system` (to call this function) but still has no right on
-- any table there.
CREATE OR REPLACE FUNCTION system.set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at = now();
  RETURN NEW;
END $$;
GRANT USAGE ON SCHEMA system TO project_admin;
REVOKE ALL ON ALL TABLES IN SCHEMA system FROM project_admin;
GRANT EXECUTE ON FUNCTION system.set_updated_at() TO project_admin;
