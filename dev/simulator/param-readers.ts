import { isParamObject, type ParamObject, type ParamValue } from './request-params.ts';

/** Own properties only: a param named `constructor` must never read Object's. */
export const paramValue = (params: ParamObject, key: string): ParamValue | undefined =>
  Object.hasOwn(params, key) ? params[key] : undefined;

/** A scalar param as text (JSON numbers and booleans as Rails would stringify them). */
export const paramString = (params: ParamObject, key: string): string | undefined => {
  const value = paramValue(params, key);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
};

/** A list param (`workflows[]`), accepting a lone scalar as a one-item list. */
export const paramStrings = (params: ParamObject, key: string): string[] => {
  const value = paramValue(params, key);
  const items = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return items.flatMap((item) =>
    typeof item === 'string' ? [item] : typeof item === 'number' ? [String(item)] : [],
  );
};

export const paramObject = (params: ParamObject, key: string): ParamObject | undefined => {
  const value = paramValue(params, key);
  return isParamObject(value) ? value : undefined;
};

const TRUTHY = new Set(['true', 't', 'yes', 'y', 'on', '1']);

/**
 * Canvas's loose boolean: only `true/t/yes/y/on/1` (any case) are true; every other string,
 * the empty string included, is false. That is why clients must send exactly `true` or `false`.
 */
export const looseBoolean = (value: ParamValue | undefined): boolean => {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1;
  if (typeof value === 'string') return TRUTHY.has(value.toLowerCase());
  return false;
};

/** Rails' `blank?` for a param: absent, null, or whitespace-only text. */
export const isBlank = (value: ParamValue | undefined): boolean =>
  value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
