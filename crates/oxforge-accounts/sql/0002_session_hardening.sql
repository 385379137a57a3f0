-- oxforge bootstrap 0007: session hardening. Admin sessions remember which root admin
-- credentials they were signed in with (an HMAC, never the password), so changing
-- ROOT_ADMIN_USERNAME or ROOT_ADMIN_PASSWORD ends them; admin sessions from before this step have
-- none and end too. "Revoke all" looks up live sessions by type and by user.

ALTER TABLE auth.sessions ADD COLUMN IF NOT EXISTS credential_epoch text;
CREATE INDEX IF NOT EXISTS sessions_live_by_type ON auth.sessions (session_type) WHERE revoked_at IS NULL;
