import type { CallerParamRules, CredentialConfig, NormalizedParams, ParamName } from './credential.ts';
import { BadRequestError, PolicyDeniedError } from './errors.ts';

const WORKFLOW = /^[a-z][a-z0-9_]{0,63}$/;
const CONTEXT_ID = /^[0-9]{1,20}(~[0-9]{1,20})?$/;
const CONTEXT_UUID = /^[A-Za-z0-9-]{1,64}$/;
const AUDIENCE_ITEM = /^[A-Za-z0-9:._/-]{1,128}$/;
const CONTEXT_TYPES = { course: 'Course', user: 'User', account: 'Account' } as const;
const PARAM_NAMES: ReadonlySet<string> = new Set<ParamName>([
  'workflows',
  'contextType',
  'contextId',
  'contextUuid',
  'canvasAudience',
  'audience',
]);

type Mutable = { -readonly [K in keyof NormalizedParams]: NormalizedParams[K] };

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const parseValue = (name: ParamName, value: unknown): NormalizedParams[ParamName] => {
  const bad = (why: string): never => {
    throw new BadRequestError(`params.${name}: ${why}`);
  };
  switch (name) {
    case 'workflows': {
      if (!Array.isArray(value) || value.length === 0 || value.length > 16)
        bad('must be 1-16 workflow names');
      const items = value as unknown[];
      for (const item of items)
        if (typeof item !== 'string' || !WORKFLOW.test(item)) bad('invalid workflow name');
      return [...new Set(items as string[])].sort();
    }
    case 'contextType': {
      const canonical =
        typeof value === 'string'
          ? CONTEXT_TYPES[value.toLowerCase() as keyof typeof CONTEXT_TYPES]
          : undefined;
      return canonical ?? bad('must be Course, User or Account');
    }
    case 'contextId': {
      const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
      return typeof text === 'string' && CONTEXT_ID.test(text) ? text : bad('must be a Canvas id');
    }
    case 'contextUuid':
      return typeof value === 'string' && CONTEXT_UUID.test(value) ? value : bad('must be a uuid');
    case 'canvasAudience':
      // Canvas parses booleans loosely; the broker only accepts real booleans and always sends true/false.
      return typeof value === 'boolean' ? value : bad('must be true or false');
    case 'audience': {
      const items = typeof value === 'string' ? value.split(' ').filter((s) => s !== '') : [];
      if (items.length === 0 || items.length > 8 || !items.every((s) => AUDIENCE_ITEM.test(s))) {
        bad('must be space-separated audience names');
      }
      return [...new Set(items)].sort().join(' ');
    }
  }
};

const allowedByRule = (
  rules: CallerParamRules,
  name: ParamName,
  value: NormalizedParams[ParamName],
): boolean => {
  const rule = rules[name];
  if (rule === undefined) return false;
  if (rule === '*') return true;
  const values = Array.isArray(value) ? value : [String(value)];
  return values.every((v) => rule.includes(v));
};

/**
 * Validates the caller's raw parameters against the credential, merges them with the fixed ones
 * and returns one canonical object, so equal requests always share one cached variant. Malformed
 * input is a BAD_REQUEST; a parameter the caller may not set (or not to that value) is
 * POLICY_DENIED, the same answer as a forbidden credential.
 */
export const normalizeParams = (credential: CredentialConfig, requested: unknown): NormalizedParams => {
  if (requested === undefined || requested === null) return credential.fixedParams;
  if (!isPlainObject(requested)) throw new BadRequestError('params: must be an object');
  const merged: Mutable = { ...credential.fixedParams };
  for (const [rawName, value] of Object.entries(requested)) {
    if (!PARAM_NAMES.has(rawName)) throw new BadRequestError(`params.${rawName}: unknown parameter`);
    const name = rawName as ParamName;
    const parsed = parseValue(name, value);
    if (credential.fixedParams[name] !== undefined || !allowedByRule(credential.callerParams, name, parsed)) {
      throw new PolicyDeniedError();
    }
    (merged as Record<string, unknown>)[name] = parsed;
  }
  if (merged.contextId !== undefined && merged.contextUuid !== undefined) {
    throw new BadRequestError('params: give contextId or contextUuid, not both');
  }
  return merged;
};
