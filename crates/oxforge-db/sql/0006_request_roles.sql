-- oxforge bootstrap 0006: requests run in a session that cannot become a superuser, and views
-- cannot be used to read around Row Level Security.

-- The login role of the request path (data API, accounts, restricted SQL, migrations, table management).
-- NOINHERIT: it has no rights of its own, only the roles it switches to per transaction, so a
-- `RESET ROLE` lands on a role that can read nothing. oxforge sets its password at start.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticator') THEN
    BEGIN
      CREATE ROLE authenticator LOGIN NOINHERIT NOCREATEDB NOCREATEROLE NOSUPERUSER;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END IF;
END $$;
-- (The accounts capability creates its own role, oxforge_accounts, and grants it to authenticator.)
GRANT anon, authenticated, project_admin TO authenticator;
DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO authenticator', current_database()); END $$;

-- Migrations run entirely as project_admin now (no switch back to the owner to record them).
GRANT SELECT, INSERT ON system.custom_migrations TO project_admin;

-- A view runs with its owner's rights unless it is `security_invoker`; its owner is usually
-- project_admin (BYPASSRLS), and default privileges open it to anon and authenticated. So every
-- new view becomes `security_invoker` (the caller's RLS applies), and a materialized view (which
-- RLS cannot protect) is not granted to anon and authenticated by default.
CREATE OR REPLACE FUNCTION system.secure_new_views() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  obj record;
BEGIN
  FOR obj IN
    SELECT * FROM pg_event_trigger_ddl_commands()
     WHERE schema_name IS DISTINCT FROM 'pg_catalog' AND schema_name IS DISTINCT FROM 'information_schema'
  LOOP
    IF obj.command_tag = 'CREATE VIEW' AND obj.object_type = 'view' THEN
      EXECUTE format('ALTER VIEW %s SET (security_invoker = true)', obj.object_identity);
    ELSIF obj.command_tag = 'CREATE MATERIALIZED VIEW' THEN
      EXECUTE format('REVOKE ALL ON %s FROM anon, authenticated', obj.object_identity);
    END IF;
  END LOOP;
END $$;
REVOKE ALL ON FUNCTION system.secure_new_views() FROM PUBLIC;

DROP EVENT TRIGGER IF EXISTS oxforge_secure_views;
CREATE EVENT TRIGGER oxforge_secure_views ON ddl_command_end
  WHEN TAG IN ('CREATE VIEW', 'CREATE MATERIALIZED VIEW')
  EXECUTE FUNCTION system.secure_new_views();

-- Views and materialized views that exist already (a database from before this step).
DO $$
DECLARE
  v record;
BEGIN
  FOR v IN
    SELECT c.oid::regclass AS name, c.relkind
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('v', 'm')
       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname NOT LIKE 'pg\_%'
  LOOP
    BEGIN
      IF v.relkind = 'v' THEN
        EXECUTE format('ALTER VIEW %s SET (security_invoker = true)', v.name);
      ELSE
        EXECUTE format('REVOKE ALL ON %s FROM anon, authenticated', v.name);
      END IF;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE WARNING 'oxforge: cannot secure % (not its owner): make it security_invoker or revoke anon', v.name;
    END;
  END LOOP;
END $$;
