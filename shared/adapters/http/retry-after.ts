/** Longer than any sane upstream hint; a larger value is treated as this, so one bad header cannot park a credential for days. */
const MAX_RETRY_AFTER_SECONDS = 24 * 60 * 60;

/**
 * Parses a `Retry-After` header: delay-seconds or an HTTP-date. An HTTP-date is measured against
 * `referenceMs`, which should be the response's own `Date` when it has one (both stamps then come
 * from the upstream's clock, so local skew cancels out). Returns undefined for a missing or
 * unparsable value.
 */
export const parseRetryAfter = (
  value: string | null | undefined,
  referenceMs: number,
): number | undefined => {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  let seconds: number;
  if (/^\d+$/.test(trimmed)) {
    seconds = Number(trimmed);
  } else {
    // Every HTTP-date form carries a time of day; Date.parse alone would read "-5" as a year.
    if (!/\d{2}:\d{2}:\d{2}/.test(trimmed)) return undefined;
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    seconds = Math.ceil((at - referenceMs) / 1000);
  }
  return Math.min(Math.max(seconds, 0), MAX_RETRY_AFTER_SECONDS);
};
