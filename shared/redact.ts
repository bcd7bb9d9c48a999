/**
 * A URL for people and logs: any userinfo (`https://user:pass@host/`) becomes `***`.
 * Used wherever a configured URL is printed (`appt serve --print-config`, logs).
 */
export function redactUrl(raw: string | undefined | null): string | undefined | null {
  if (!raw) return raw;
  try {
    const u = new URL(raw);
    if (!u.username && !u.password) return raw;
    u.username = '***';
    u.password = '';
    return u.toString();
  } catch {
    return raw.replace(/\/\/[^@/]*@/, '//***@');
  }
}
