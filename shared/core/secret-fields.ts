import type { SecretMalformedError } from './errors.ts';
import { safeText } from './safe-text.ts';

// An integer beyond 2^53 was already rounded by JSON.parse: stringifying it would hand upstream a
// different id than the one stored, so it must be stored as a string instead.
const isInexactInteger = (value: number): boolean => Number.isInteger(value) && !Number.isSafeInteger(value);

/**
 * A secret's parsed JSON object as the flat `{ field: string }` record every SecretSource returns.
 * Hand-edited secrets often hold ids as numbers (`"clientId": 170000000000123`), so an exact
 * number is read as its decimal text; anything else fails with `notString(fieldName)`, which may
 * name the field (made safe here) but never its value.
 */
export const secretFieldsOf = (
  object: Readonly<Record<string, unknown>>,
  notString: (field: string) => SecretMalformedError,
): Record<string, string> => {
  const entries: Array<[string, string]> = [];
  for (const [field, value] of Object.entries(object)) {
    if (typeof value === 'string') {
      entries.push([field, value]);
    } else if (typeof value === 'number' && Number.isFinite(value) && !isInexactInteger(value)) {
      entries.push([field, String(value)]);
    } else {
      throw notString(safeText(field, 64));
    }
  }
  // fromEntries defines own properties, so a field called "__proto__" cannot touch the prototype.
  return Object.fromEntries(entries);
};
