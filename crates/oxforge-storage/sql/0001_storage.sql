-- oxforge bootstrap, storage 1: InsForge's `storage` schema (buckets, objects, the singleton
-- configuration, gateway access keys and object tags), its helper functions, its grants, and
-- row-level security on `storage.objects` with owner policies installed by default (InsForge's
-- fresh installs leave RLS off, so any signed-in user could read, overwrite and delete every
-- other user's files). `size` is a bigint (objects over 2 GiB). A project replaces the owner
-- policies with its own in SQL (docs: storage-sdk).

CREATE SCHEMA IF NOT EXISTS storage;

CREATE TABLE IF NOT EXISTS storage.buckets (
  name text PRIMARY KEY,
  public boolean DEFAULT true,
  created_at timestamptz DEFAULT now(),
  updated_at timestamptz DEFAULT now(),
  cors_rules jsonb,
  versioning_status text NOT NULL DEFAULT 'Disabled'
    CHECK (versioning_status IN ('Enabled', 'Disabled', 'Suspended'))
);

CREATE TABLE IF NOT EXISTS storage.objects (
  bucket text NOT NULL,
  key text NOT NULL,
  size bigint NOT NULL,
  mime_type text,
  uploaded_at timestamptz DEFAULT now(),
  uploaded_by text,
  uploaded_via text NOT NULL DEFAULT 'rest' CHECK (uploaded_via IN ('rest', 's3', 'dashboard')),
  s3_access_key_id text,
  etag text,
  PRIMARY KEY (bucket, key),
  CONSTRAINT objects_bucket_fkey FOREIGN KEY (bucket) REFERENCES storage.buckets (name) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_storage_uploaded_by ON storage.objects (uploaded_by);
CREATE INDEX IF NOT EXISTS idx_storage_objects_s3_access_key_id ON storage.objects (s3_access_key_id)
  WHERE s3_access_key_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS storage.config (
  id uuid DEFAULT gen_random_uuid() PRIMARY KEY,
  max_file_size_mb integer DEFAULT 50 NOT NULL CHECK (max_file_size_mb BETWEEN 1 AND 200),
  created_at timestamptz DEFAULT now() NOT NULL,
  updated_at timestamptz DEFAULT now() NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS storage_config_singleton ON storage.config ((1));
CREATE OR REPLACE FUNCTION storage.touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS storage_config_updated_at ON storage.config;
CREATE TRIGGER storage_config_updated_at BEFORE UPDATE ON storage.config
  FOR EACH ROW EXECUTE FUNCTION storage.touch_updated_at();
INSERT INTO storage.config (max_file_size_mb) SELECT 50 WHERE NOT EXISTS (SELECT 1 FROM storage.config);

CREATE TABLE IF NOT EXISTS storage.s3_access_keys (
  id uuid DEFAULT gen_random_uuid() PRIMARY KEY,
  access_key_id text NOT NULL UNIQUE,
  secret_access_key_encrypted text NOT NULL,
  description text,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);

CREATE TABLE IF NOT EXISTS storage.object_tags (
  bucket text NOT NULL,
  key text NOT NULL,
  tag_key text NOT NULL,
  tag_value text NOT NULL,
  PRIMARY KEY (bucket, key, tag_key),
  FOREIGN KEY (bucket, key) REFERENCES storage.objects ON DELETE CASCADE
);

-- Path helpers for policies: `storage.foldername('a/b/c.png')` = {a,b}, `storage.filename(…)` =
-- 'c.png', `storage.extension(…)` = 'png'.
CREATE OR REPLACE FUNCTION storage.foldername(name text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN cardinality(p) > 1 THEN p[1:cardinality(p) - 1] ELSE ARRAY[]::text[] END
  FROM string_to_array(name, '/') AS p $$;
CREATE OR REPLACE FUNCTION storage.filename(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT (string_to_array(name, '/'))[cardinality(string_to_array(name, '/'))] $$;
CREATE OR REPLACE FUNCTION storage.extension(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN position('.' IN storage.filename(name)) > 0
    THEN lower(regexp_replace(storage.filename(name), '^.*\.', '')) ELSE '' END $$;

-- Grants: signed-in users reach objects (RLS decides which); anon nothing; project_admin reads.
REVOKE ALL ON ALL TABLES IN SCHEMA storage FROM PUBLIC, anon, authenticated;
GRANT USAGE ON SCHEMA storage TO authenticated, project_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON storage.objects TO authenticated;
GRANT SELECT ON storage.buckets, storage.objects, storage.config TO project_admin;
GRANT EXECUTE ON FUNCTION storage.foldername(text), storage.filename(text), storage.extension(text)
  TO anon, authenticated, project_admin;

ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS storage_objects_owner_select ON storage.objects;
DROP POLICY IF EXISTS storage_objects_owner_insert ON storage.objects;
DROP POLICY IF EXISTS storage_objects_owner_update ON storage.objects;
DROP POLICY IF EXISTS storage_objects_owner_delete ON storage.objects;
CREATE POLICY storage_objects_owner_select ON storage.objects FOR SELECT TO authenticated
  USING (uploaded_by = (SELECT auth.jwt() ->> 'sub'));
CREATE POLICY storage_objects_owner_insert ON storage.objects FOR INSERT TO authenticated
  WITH CHECK (uploaded_by = (SELECT auth.jwt() ->> 'sub'));
CREATE POLICY storage_objects_owner_update ON storage.objects FOR UPDATE TO authenticated
  USING (uploaded_by = (SELECT auth.jwt() ->> 'sub'))
  WITH CHECK (uploaded_by = (SELECT auth.jwt() ->> 'sub'));
CREATE POLICY storage_objects_owner_delete ON storage.objects FOR DELETE TO authenticated
  USING (uploaded_by = (SELECT auth.jwt() ->> 'sub'));
