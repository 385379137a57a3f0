-- oxforge accounts 0004: the auth configuration, InsForge's `auth.config`: one row (a unique
-- index on a constant), read by sign-up and `GET /api/auth/public-config`, written by admins
-- through `PUT /api/auth/config`. The row is created by accounts on first use, seeded with the
-- `password_min_length` setting (so an operator's value survives the upgrade); from then on the
-- row, not the setting, is what counts.
CREATE TABLE IF NOT EXISTS auth.config (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  require_email_verification boolean NOT NULL DEFAULT false,
  password_min_length integer NOT NULL DEFAULT 6 CHECK (password_min_length BETWEEN 4 AND 128),
  require_number boolean NOT NULL DEFAULT false,
  require_lowercase boolean NOT NULL DEFAULT false,
  require_uppercase boolean NOT NULL DEFAULT false,
  require_special_char boolean NOT NULL DEFAULT false,
  verify_email_method text NOT NULL DEFAULT 'code' CHECK (verify_email_method IN ('code', 'link')),
  reset_password_method text NOT NULL DEFAULT 'code' CHECK (reset_password_method IN ('code', 'link')),
  allowed_redirect_urls text[] NOT NULL DEFAULT '{}',
  disable_signup boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS config_singleton ON auth.config ((1));

REVOKE ALL ON auth.config FROM PUBLIC, anon, authenticated, project_admin;
GRANT SELECT, INSERT, UPDATE ON auth.config TO oxforge_accounts;
