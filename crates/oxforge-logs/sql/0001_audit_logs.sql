-- oxforge bootstrap, logs 1: the audit trail. Admin actions (SQL editor, table changes, secrets,
-- key rotation, user deletes, auth configuration, bulk imports), written and read by the owner
-- only: `system` grants nothing to the API roles, and neither does this table.

CREATE TABLE IF NOT EXISTS system.audit_logs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  actor text NOT NULL,
  action text NOT NULL,
  module text NOT NULL,
  details jsonb,
  ip_address text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS audit_logs_created_at ON system.audit_logs (created_at DESC);
REVOKE ALL ON system.audit_logs FROM PUBLIC;
