-- oxforge accounts 0003: accounts (sign-up, sign-in, sessions) run as oxforge_accounts: users and
-- sessions, nothing else; the request path's login role (`authenticator`, core) switches to it.
-- Until this step existed, core's step 6 (request_roles) did the same: re-running it is harmless.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'oxforge_accounts') THEN
    BEGIN
      CREATE ROLE oxforge_accounts NOLOGIN NOINHERIT;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END IF;
END $$;
GRANT USAGE ON SCHEMA auth TO oxforge_accounts;
GRANT SELECT, INSERT, UPDATE, DELETE ON auth.users, auth.sessions TO oxforge_accounts;
GRANT oxforge_accounts TO authenticator;
