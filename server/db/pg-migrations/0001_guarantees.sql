-- What SQLite's single writer gave for free, held by PostgreSQL itself (DESIGN §7).

-- No double booking, as the backstop behind the per-provider advisory lock: the blocked
-- ranges (buffers included) of active appointments never overlap, nor do live holds'.
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE "appointments" ADD CONSTRAINT "appointments_no_overlap"
  EXCLUDE USING gist ("provider_id" WITH =, int8range("block_start", "block_end") WITH &&)
  WHERE ("status" IN ('upcoming', 'confirmed', 'rescheduled'));
ALTER TABLE "reservations" ADD CONSTRAINT "reservations_no_overlap"
  EXCLUDE USING gist ("provider_id" WITH =, int8range("block_start", "block_end") WITH &&)
  WHERE ("status" = 'active');

-- The audit chain cannot fork: one successor per entry of a subject.
CREATE UNIQUE INDEX "audit_chain_link" ON "audit_entries" ("subject", "prev_hash");

-- The audit log is append-only: the database refuses to rewrite history.
CREATE FUNCTION "audit_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_entries is append-only';
END
$$;
CREATE TRIGGER "audit_entries_no_update" BEFORE UPDATE ON "audit_entries"
  FOR EACH ROW EXECUTE FUNCTION "audit_append_only"();
CREATE TRIGGER "audit_entries_no_delete" BEFORE DELETE ON "audit_entries"
  FOR EACH ROW EXECUTE FUNCTION "audit_append_only"();
