import { canonicalJson as canonical } from '../../core/canonical-json.ts';

/**
 * The canonical JSON (shared/core/canonical-json.ts) of a flat string record: AES-GCM additional
 * data (the sealing and the opening side must produce identical bytes) and secret entry versions.
 */
export const canonicalJson = (record: Readonly<Record<string, string>>): string => {
  for (const [key, value] of Object.entries(record)) {
    // A non-string would serialize differently on each side (or to `undefined`): refuse it.
    // The message names the key only; values may be sensitive.
    if (typeof value !== 'string') throw new TypeError(`canonicalJson: value of "${key}" is not a string`);
  }
  return canonical(record);
};
