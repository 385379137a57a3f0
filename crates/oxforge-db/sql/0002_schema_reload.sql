-- oxforge bootstrap 0002: every DDL statement tells the data API to reload its schema cache,
-- on the channel PostgREST and InsForge use (`NOTIFY pgrst, 'reload schema'`). All oxforge
-- processes on this database listen, so they stay in step.

CREATE OR REPLACE FUNCTION system.oxforge_notify_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  NOTIFY pgrst, 'reload schema';
END $$;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'oxforge_ddl_end') THEN
    CREATE EVENT TRIGGER oxforge_ddl_end ON ddl_command_end EXECUTE FUNCTION system.oxforge_notify_ddl();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'oxforge_sql_drop') THEN
    CREATE EVENT TRIGGER oxforge_sql_drop ON sql_drop EXECUTE FUNCTION system.oxforge_notify_ddl();
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE WARNING 'oxforge: cannot create event triggers (not a superuser); run NOTIFY pgrst after DDL';
END $$;
