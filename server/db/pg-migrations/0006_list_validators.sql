-- Change marks behind the user list's ETag (see server/db/schema.ts, changeMarks): every
-- write to an appointment gives its customer's mark a new random value (both customers'
-- when an appointment changes hands), every write to a provider or a service the
-- `catalog` mark. Random rather than counted, so a restored backup never brings back a
-- mark a client has seen for different data.
CREATE TABLE "change_marks" (
  "key" text PRIMARY KEY NOT NULL,
  "mark" bigint NOT NULL
);

CREATE FUNCTION "change_mark"(k text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO "change_marks" ("key", "mark") VALUES (k, floor(random() * 9007199254740991)::bigint)
    ON CONFLICT ("key") DO UPDATE SET "mark" = floor(random() * 9007199254740991)::bigint;
$$;

CREATE FUNCTION "appointments_mark"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'DELETE' THEN PERFORM "change_mark"('user:' || NEW."user_id"); END IF;
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD."user_id" <> NEW."user_id") THEN
    PERFORM "change_mark"('user:' || OLD."user_id");
  END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER "appointments_mark" AFTER INSERT OR UPDATE OR DELETE ON "appointments"
  FOR EACH ROW EXECUTE FUNCTION "appointments_mark"();

CREATE FUNCTION "catalog_mark"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM "change_mark"('catalog');
  RETURN NULL;
END;
$$;
CREATE TRIGGER "providers_mark" AFTER INSERT OR UPDATE OR DELETE ON "providers"
  FOR EACH ROW EXECUTE FUNCTION "catalog_mark"();
CREATE TRIGGER "services_mark" AFTER INSERT OR UPDATE OR DELETE ON "services"
  FOR EACH ROW EXECUTE FUNCTION "catalog_mark"();
