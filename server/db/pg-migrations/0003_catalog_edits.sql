-- Issue 13: services and providers can be removed (soft: kept for the appointments and
-- audit entries that name them), and one customer per email whatever its case.
-- (Numbered 0003: a 0002 is being added on main at the same time.)
ALTER TABLE "providers" ADD COLUMN "retired_at" bigint;
ALTER TABLE "services" ADD COLUMN "retired_at" bigint;
CREATE UNIQUE INDEX "users_email_unique" ON "users" (lower("email"));
