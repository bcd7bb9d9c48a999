-- The server's own request id is kept beside the one a client sent (never instead of it).
ALTER TABLE "audit_entries" ADD COLUMN "client_request_id" text;

-- The anchored head of each audit chain: its entry count and last hash, written in the same
-- transaction as each entry, so a removed tail is detected by `appt audit --verify`.
CREATE TABLE "audit_heads" (
  "subject" text PRIMARY KEY,
  "entries" bigint NOT NULL,
  "last_seq" bigint NOT NULL,
  "last_hash" text NOT NULL
);
INSERT INTO "audit_heads" ("subject", "entries", "last_seq", "last_hash")
  SELECT e."subject", COUNT(*), MAX(e."seq"),
    (SELECT h."hash" FROM "audit_entries" h WHERE h."subject" = e."subject" ORDER BY h."seq" DESC LIMIT 1)
  FROM "audit_entries" e GROUP BY e."subject";

-- A head only moves forward, one entry at a time, and is never removed.
CREATE FUNCTION "audit_heads_forward"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR NEW."subject" <> OLD."subject" OR NEW."entries" <> OLD."entries" + 1
     OR NEW."last_seq" <= OLD."last_seq" THEN
    RAISE EXCEPTION 'audit_heads only move forward';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER "audit_heads_no_delete" BEFORE DELETE ON "audit_heads"
  FOR EACH ROW EXECUTE FUNCTION "audit_heads_forward"();
CREATE TRIGGER "audit_heads_forward" BEFORE UPDATE ON "audit_heads"
  FOR EACH ROW EXECUTE FUNCTION "audit_heads_forward"();
