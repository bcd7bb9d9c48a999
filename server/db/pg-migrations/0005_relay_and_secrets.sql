-- Realtime across processes: committed events travel between server processes by
-- NOTIFY appt_events. A payload past NOTIFY's 8,000-byte limit is kept here for a few
-- minutes and the notification names its id.
CREATE TABLE "appt_notify_payloads" (
  "id" text PRIMARY KEY,
  "payload" text NOT NULL,
  "created_at" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX "appt_notify_payloads_created" ON "appt_notify_payloads" ("created_at");

-- Secrets every process must agree on (the realtime hub's key and secret, the webhook
-- secret) when they are not configured: the first process to start writes its generated
-- ones, every later one adopts them.
CREATE TABLE "appt_shared_secrets" (
  "name" text PRIMARY KEY,
  "value" text NOT NULL
);
