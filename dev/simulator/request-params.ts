/**
 * Request parameters the way Rails builds them for Canvas: the query string and the body (form
 * or JSON) merged into one nested object. Form keys follow Rack's nesting rules (`a[b]`, `a[]`,
 * `a[b][]`), so `token[purpose]=x` and `{"token":{"purpose":"x"}}` read the same.
 */
export type ParamValue = string | number | boolean | null | ParamValue[] | ParamObject;
export interface ParamObject {
  [key: string]: ParamValue;
}

export type ParamsResult = { readonly ok: true; readonly params: ParamObject } | { readonly ok: false };

const ARRAY = Symbol('array');
type Segment = string | typeof ARRAY;

// Objects built from user-chosen keys never inherit, so `__proto__` or `constructor` are just keys.
const emptyObject = (): ParamObject => Object.create(null) as ParamObject;

export const isParamObject = (value: unknown): value is ParamObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

class ParamConflict extends Error {}

const splitKey = (key: string): { base: string; path: Segment[] } => {
  const open = key.indexOf('[');
  if (open <= 0) return { base: key, path: [] };
  const path: Segment[] = [];
  let rest = key.slice(open);
  while (rest.length > 0) {
    const match = /^\[([^\]]*)\]/.exec(rest);
    if (!match) return { base: key, path: [] };
    path.push(match[1] === '' ? ARRAY : (match[1] as string));
    rest = rest.slice(match[0].length);
  }
  return { base: key.slice(0, open), path };
};

const assign = (container: ParamObject, key: string, path: Segment[], value: string | null): void => {
  const [head, ...rest] = path;
  if (head === undefined) {
    container[key] = value;
    return;
  }
  const existing = Object.hasOwn(container, key) ? container[key] : undefined;
  if (head === ARRAY) {
    const list = existing === undefined ? [] : existing;
    if (!Array.isArray(list)) throw new ParamConflict();
    container[key] = list;
    const [next, ...deeper] = rest;
    if (next === undefined) {
      list.push(value);
      return;
    }
    if (next === ARRAY) throw new ParamConflict();
    const last = list[list.length - 1];
    if (isParamObject(last) && !Object.hasOwn(last, next)) {
      assign(last, next, deeper, value);
    } else {
      const fresh = emptyObject();
      list.push(fresh);
      assign(fresh, next, deeper, value);
    }
    return;
  }
  const child = existing === undefined ? emptyObject() : existing;
  if (!isParamObject(child)) throw new ParamConflict();
  container[key] = child;
  assign(child, head, rest, value);
};

const decodeComponent = (text: string): string => decodeURIComponent(text.replace(/\+/g, ' '));

/** Parses `a=1&b[c]=2` into nested params; undefined when the encoding is broken. */
export const parseFormEncoded = (text: string): ParamObject | undefined => {
  const params = emptyObject();
  try {
    for (const pair of text.split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const rawKey = eq === -1 ? pair : pair.slice(0, eq);
      const key = decodeComponent(rawKey);
      if (key === '') continue;
      const value = eq === -1 ? null : decodeComponent(pair.slice(eq + 1));
      const { base, path } = splitKey(key);
      assign(params, base, path, value);
    }
  } catch {
    return undefined;
  }
  return params;
};

/** The media type of a Content-Type header, lower-cased and without parameters. */
export const mediaType = (contentType: string | undefined): string | undefined => {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type === '' ? undefined : type;
};

const isJsonType = (type: string | undefined): boolean =>
  type === 'application/json' || (type?.endsWith('+json') ?? false);

/**
 * Merges query and body params as Rails does (query wins on a clash). A body in an unknown media
 * type is ignored; a body without Content-Type is read as a form, as Rack does for POST.
 */
export const parseParams = (query: string, body: Buffer, contentType: string | undefined): ParamsResult => {
  const queryParams = parseFormEncoded(query);
  if (!queryParams) return { ok: false };
  const type = mediaType(contentType);
  let bodyParams: ParamObject = emptyObject();
  if (body.length > 0) {
    if (isJsonType(type)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        return { ok: false };
      }
      if (isParamObject(parsed)) {
        bodyParams = parsed;
      } else {
        bodyParams = emptyObject();
        bodyParams._json = parsed as ParamValue;
      }
    } else if (type === undefined || type === 'application/x-www-form-urlencoded') {
      const form = parseFormEncoded(body.toString('utf8'));
      if (!form) return { ok: false };
      bodyParams = form;
    }
  }
  const merged = emptyObject();
  for (const [key, value] of Object.entries(bodyParams)) merged[key] = value;
  for (const [key, value] of Object.entries(queryParams)) merged[key] = value;
  return { ok: true, params: merged };
};
