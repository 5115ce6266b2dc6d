/**
 * One fixed text for a JSON value: object keys sorted by UTF-16 code unit at every level, undefined
 * members dropped, no whitespace, so equal values always give equal text (a variant's id, a cache
 * key, AES-GCM additional data, a secret entry's version).
 *
 * Built by hand rather than with `JSON.stringify(sortedObject)` because JavaScript objects list
 * integer-like keys ("1", "2") before the others whatever their insertion order, so "sorted keys"
 * would silently stop being true.
 */
export const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};
