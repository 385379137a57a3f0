-- oxforge bootstrap 0003: accounts. Users of email/password sign-in, and the sessions that make
-- refresh tokens revocable and single-use (each refresh rotates the session's token id).

CREATE TABLE IF NOT EXISTS auth.users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL,
  password text,
  email_verified boolean NOT NULL DEFAULT false,
  profile jsonb NOT NULL DEFAULT '{}'::jsonb,
  metadata jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS users_email_key ON auth.users (lower(email));

CREATE TABLE IF NOT EXISTS auth.sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The token subject: a user id, or `local:<admin>` for the root admin.
  subject text NOT NULL,
  user_id uuid REFERENCES auth.users (id) ON DELETE CASCADE,
  session_type text NOT NULL CHECK (session_type IN ('user', 'admin')),
  csrf_nonce text NOT NULL,
  -- The id (`jti`) of the only refresh token of this session that is still valid.
  token_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  refreshed_at timestamptz,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX IF NOT EXISTS sessions_user ON auth.sessions (user_id);

-- No API role may read password hashes or sessions; project_admin may read users' public fields.
REVOKE ALL ON auth.users, auth.sessions FROM PUBLIC, anon, authenticated, project_admin;
GRANT SELECT (id, email, email_verified, profile, metadata, created_at, updated_at) ON auth.users TO project_admin;
