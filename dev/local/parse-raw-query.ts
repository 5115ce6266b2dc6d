/**
 * Splits a raw query string the way SigV4 canonicalizes it: names and values are percent-decoded,
 * and `+` stays a literal plus (it is not form encoding). The verifier and the event mapper share
 * this, so the handler sees exactly the parameters that were signed. Repeated names keep every
 * value in order. Returns undefined for a malformed percent escape.
 */
export const parseRawQuery = (raw: string): Map<string, string[]> | undefined => {
  const query = new Map<string, string[]>();
  try {
    for (const pair of raw.split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const name = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
      const value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
      const values = query.get(name);
      if (values) values.push(value);
      else query.set(name, [value]);
    }
  } catch {
    return undefined;
  }
  return query;
};
