-- oxforge bootstrap, storage 2: the S3 gateway's multipart uploads, kept in the database so any
-- oxforge process can take any part (InsForge keeps them in the backing store's own upload).
-- Parts' bytes live under the hidden area `.multipart/<upload id>/`.

CREATE TABLE IF NOT EXISTS storage.s3_multipart_uploads (
  upload_id text PRIMARY KEY,
  bucket text NOT NULL REFERENCES storage.buckets (name) ON DELETE CASCADE,
  key text NOT NULL,
  content_type text,
  access_key_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS s3_multipart_uploads_bucket_key ON storage.s3_multipart_uploads (bucket, key);
-- Abandoned uploads (a week old) are looked for at each new upload.
CREATE INDEX IF NOT EXISTS s3_multipart_uploads_created_at ON storage.s3_multipart_uploads (created_at);

CREATE TABLE IF NOT EXISTS storage.s3_multipart_parts (
  upload_id text NOT NULL REFERENCES storage.s3_multipart_uploads (upload_id) ON DELETE CASCADE,
  part_number integer NOT NULL CHECK (part_number BETWEEN 1 AND 10000),
  -- Where its bytes are, below `.multipart/`: `<upload id>/<n>-<random>`, one per attempt, so a
  -- part sent again never overwrites the bytes its row still describes.
  path text NOT NULL,
  size bigint NOT NULL,
  etag text NOT NULL,
  uploaded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (upload_id, part_number)
);

REVOKE ALL ON storage.s3_multipart_uploads, storage.s3_multipart_parts FROM PUBLIC, anon, authenticated;

-- S3 listings are in byte order: an index in that order lets a listing without a delimiter read
-- only the page it returns.
CREATE INDEX IF NOT EXISTS storage_objects_bucket_key_bytes ON storage.objects (bucket, key COLLATE "C");
