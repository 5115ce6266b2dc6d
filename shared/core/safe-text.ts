/**
 * Makes upstream-provided text fit for an error message or a log line: printable, short, and with
 * anything shaped like a credential (a long run of token characters, a JOSE string, a Bearer or
 * Basic value) replaced. Upstream error bodies are not expected to echo secrets, but a message is
 * never trusted to be clean just because the upstream usually is.
 */
const TOKENISH = /[A-Za-z0-9_\-+/=~.]{24,}/g;
const AUTH_VALUE = /\b(Bearer|Basic)\s+\S+/gi;

export const safeText = (text: unknown, maxLength = 200): string => {
  const raw = typeof text === 'string' ? text : String(text ?? '');
  const cleaned = raw
    .replace(/[^\x20-\x7E]/g, ' ')
    .replace(AUTH_VALUE, '$1 [redacted]')
    .replace(TOKENISH, '[redacted]')
    .trim();
  return cleaned.length > maxLength ? `${cleaned.slice(0, maxLength)}...` : cleaned;
};
