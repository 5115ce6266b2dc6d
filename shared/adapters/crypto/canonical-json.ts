/**
 * One fixed byte form of a flat string record: keys sorted by UTF-16 code unit, no whitespace.
 *
 * Built by hand rather than with `JSON.stringify(sortedObject)` because JavaScript objects list
 * integer-like keys ("1", "2") before the others whatever their insertion order, so "sorted keys"
 * would silently stop being true. Used as AES-GCM additional data (the sealing and the opening side
 * must produce identical bytes) and to fingerprint secret entries.
 */
export const canonicalJson = (record: Readonly<Record<string, string>>): string => {
  const keys = Object.keys(record).sort();
  const parts = keys.map((key) => {
    const value = record[key];
    // A non-string would serialize differently on each side (or to `undefined`): refuse it.
    // The message names the key only; values may be sensitive.
    if (typeof value !== 'string') {
      throw new TypeError(`canonicalJson: value of "${key}" is not a string`);
    }
    return `${JSON.stringify(key)}:${JSON.stringify(value)}`;
  });
  return `{${parts.join(',')}}`;
};
