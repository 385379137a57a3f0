-- oxforge bootstrap 0004: the project's own migrations (InsForge's `system.custom_migrations`).
CREATE TABLE IF NOT EXISTS system.custom_migrations (
  version text PRIMARY KEY CHECK (version ~ '^[0-9]{1,64}$'),
  name text NOT NULL,
  statements text[] NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
