/**
 * The iCalendar content-line rules (RFC 5545 §3.1–3.3, RFC 6868) that every parser agrees
 * on. Pure string functions; ics.ts composes the calendar from them.
 */

const CRLF = '\r\n';
/** RFC 5545 §3.1: lines SHOULD NOT be longer than 75 octets, excluding the line break */
const MAX_OCTETS = 75;

/**
 * A TEXT value (§3.3.11): backslash, semicolon and comma escaped, every line break as `\n`.
 * Other control characters are not allowed in TEXT and are dropped.
 */
export function text(value: string): string {
  return value
    .replace(/\r\n?/g, '\n')
    .replace(/[\\;,]/g, (c) => `\\${c}`)
    .replace(/\n/g, '\\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
}

/**
 * A parameter value (§3.2) with RFC 6868 caret escaping: `^` → `^^`, a line break → `^n`,
 * `"` → `^'` (a quoted-string may not hold a DQUOTE, and a backslash means nothing there).
 * The value is quoted when it holds `:`, `;` or `,`, which would otherwise end it.
 */
export function paramValue(value: string): string {
  const v = value
    .replace(/\r\n?/g, '\n')
    .replace(/\^/g, '^^')
    .replace(/\n/g, '^n')
    .replace(/"/g, "^'")
    .replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, '');
  return /[:;,]/.test(v) ? `"${v}"` : v;
}

/**
 * Folds one content line at 75 octets (§3.1): each continuation starts with a space,
 * which counts toward its line's 75. A UTF-8 sequence is never split: the line is cut
 * between code points.
 */
export function fold(line: string): string {
  if (Buffer.byteLength(line) <= MAX_OCTETS) return line;
  const out: string[] = [];
  let current = '';
  let octets = 0;
  for (const ch of line) {
    const n = Buffer.byteLength(ch);
    if (octets + n > MAX_OCTETS) {
      out.push(current);
      current = ' ';
      octets = 1;
    }
    current += ch;
    octets += n;
  }
  out.push(current);
  return out.join(CRLF);
}

/** `NAME[;PARAM=…]:value`, folded; the value is already escaped for its type. */
export function contentLine(nameAndParams: string, value: string): string {
  return fold(`${nameAndParams}:${value}`);
}

/** BEGIN/END around the lines, every line (the last one too) ending with CRLF (§3.1). */
export function icsDocument(component: string, lines: string[]): string {
  return `${[`BEGIN:${component}`, ...lines, `END:${component}`].join(CRLF)}${CRLF}`;
}
