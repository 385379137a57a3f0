-- The table recording applied bootstrap steps, one row per (component, version).
-- Run before the steps, in their transaction and under their advisory lock. Older builds
-- created it without `component` and with the primary key on `version` alone (all of their
-- steps were core's): such a table is upgraded in place, its rows kept as core's.

CREATE SCHEMA IF NOT EXISTS system;

CREATE TABLE IF NOT EXISTS system.oxforge_bootstrap (
  component text NOT NULL DEFAULT 'core',
  version integer NOT NULL,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (component, version)
);

DO $$
DECLARE
  pk_name name;
  pk_columns name[];
BEGIN
  -- Checked first so an up-to-date table is not locked by a needless ALTER TABLE.
  IF NOT EXISTS (
    SELECT FROM pg_attribute
    WHERE attrelid = 'system.oxforge_bootstrap'::regclass AND attname = 'component' AND NOT attisdropped
  ) THEN
    ALTER TABLE system.oxforge_bootstrap ADD COLUMN component text NOT NULL DEFAULT 'core';
  END IF;

  SELECT c.conname, array_agg(a.attname ORDER BY k.ord)
    INTO pk_name, pk_columns
  FROM pg_constraint c
  CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k (attnum, ord)
  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
  WHERE c.conrelid = 'system.oxforge_bootstrap'::regclass AND c.contype = 'p'
  GROUP BY c.conname;

  IF pk_columns IS DISTINCT FROM ARRAY['component', 'version']::name[] THEN
    IF pk_name IS NOT NULL THEN
      EXECUTE format('ALTER TABLE system.oxforge_bootstrap DROP CONSTRAINT %I', pk_name);
    END IF;
    ALTER TABLE system.oxforge_bootstrap ADD PRIMARY KEY (component, version);
  END IF;
END
$$;
