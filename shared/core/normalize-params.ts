import {
  type CallerParamRules,
  type CredentialConfig,
  KIND_PARAMS,
  type NormalizedParams,
  PARAM_NAMES,
  type ParamName,
} from './credential.ts';
import { BadRequestError, PolicyDeniedError } from './errors.ts';

const WORKFLOW = /^[a-z][a-z0-9_]{0,63}$/;
const CONTEXT_ID = /^[0-9]{1,20}(~[0-9]{1,20})?$/;
const CONTEXT_UUID = /^[A-Za-z0-9-]{1,64}$/;
const AUDIENCE_ITEM = /^[A-Za-z0-9:._/-]{1,128}$/;
// An LTI scope is an RFC 6749 section 3.3 scope-token; in practice a URL
// (https://purl.imsglobal.org/spec/lti-ags/scope/score) or a Canvas name (url:GET|/api/v1/...).
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]{1,256}$/;
/** At most this many scopes in one request (the standard LTI Advantage services have 7). */
export const MAX_SCOPES = 32;
// A Map, not an object literal: a lookup by caller text must never reach Object.prototype
// (`constructor`, `__proto__`, `toString` were accepted as context types and sent upstream).
const CONTEXT_TYPES: ReadonlyMap<string, 'Course' | 'User' | 'Account'> = new Map([
  ['course', 'Course'],
  ['user', 'User'],
  ['account', 'Account'],
]);
const PARAM_NAME_SET: ReadonlySet<string> = new Set<string>(PARAM_NAMES);

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
      const canonical = typeof value === 'string' ? CONTEXT_TYPES.get(value.toLowerCase()) : undefined;
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
    case 'scopes': {
      // Either an array of scope strings or one space-separated string (OAuth's own `scope` form).
      const items = Array.isArray(value)
        ? value
        : typeof value === 'string'
          ? value.split(' ').filter((s) => s !== '')
          : bad('must be an array of scopes or a space-separated string');
      if (items.length === 0 || items.length > MAX_SCOPES) bad(`must be 1-${MAX_SCOPES} scopes`);
      for (const item of items)
        if (typeof item !== 'string' || !SCOPE.test(item))
          bad('each scope must be 1-256 printable characters without spaces, quotes or backslashes');
      return [...new Set(items as string[])].sort();
    }
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
  // Own properties only: a rule object's prototype must never grant anything.
  if (!Object.hasOwn(rules, name)) return false;
  const rule = rules[name];
  if (rule === undefined) return false;
  if (rule === '*') return true;
  const values = Array.isArray(value) ? value : [String(value)];
  return values.every((v) => rule.includes(v));
};

/**
 * Canvas's own defaults (contract section 2): `canvas_audience` absent means true. A parameter set
 * to its default sends the same request as one without it, so it is dropped here: equal upstream
 * requests must share one variant (and one mint).
 */
const dropDefaults = (params: Mutable): Mutable => {
  if (params.canvasAudience === true) delete params.canvasAudience;
  return params;
};

/**
 * Canvas's checks on the context of a services JWT (jwts_controller.rb, `init_context`): a
 * `context_type` without `context_id` or `context_uuid` is 400 "Missing context_id or context_uuid
 * parameter.", both ids are 400 "Should provide context_id or context_uuid parameters, but not
 * both.", and an id without a type is 400 "Missing context_type parameter.". Canvas checks them
 * only when a workflow needs a context (today `rich_content`), but the broker cannot know every
 * Canvas version's workflows, so it refuses any incomplete context up front: before a table item
 * is written or upstream is called, as a 400, instead of a 502 and a failure hold later.
 */
const assertCompleteContext = (params: NormalizedParams): void => {
  const hasId = params.contextId !== undefined || params.contextUuid !== undefined;
  if (params.contextId !== undefined && params.contextUuid !== undefined) {
    throw new BadRequestError('params: give contextId or contextUuid, not both');
  }
  if (params.contextType !== undefined && !hasId) {
    throw new BadRequestError('params: contextType needs contextId or contextUuid');
  }
  if (params.contextType === undefined && hasId) {
    throw new BadRequestError('params: contextId and contextUuid need contextType');
  }
};

/**
 * Parses and merges parameter values without the whole-request checks: for config, where fixed
 * and caller-chosen parts are validated separately and only their merge must be complete.
 */
export const normalizeParamValues = (credential: CredentialConfig, requested: unknown): NormalizedParams => {
  if (requested === undefined || requested === null) return credential.fixedParams;
  if (!isPlainObject(requested)) throw new BadRequestError('params: must be an object');
  const names = Object.keys(requested);
  // Only canvas-jwt and lti-advantage send parameters upstream (contract sections 1-4); for the
  // other kinds a parameter would change nothing but the variant, so it is refused rather than ignored.
  const kindParams = KIND_PARAMS[credential.kind];
  if (kindParams.length === 0 && names.length > 0) {
    throw new BadRequestError(`params: kind ${credential.kind} takes no parameters`);
  }
  const merged: Mutable = { ...credential.fixedParams };
  for (const rawName of names) {
    if (!PARAM_NAME_SET.has(rawName)) throw new BadRequestError(`params.${rawName}: unknown parameter`);
    const name = rawName as ParamName;
    if (!kindParams.includes(name)) {
      throw new BadRequestError(`params.${rawName}: kind ${credential.kind} does not take this parameter`);
    }
    const parsed = parseValue(name, (requested as Record<string, unknown>)[rawName]);
    if (credential.fixedParams[name] !== undefined || !allowedByRule(credential.callerParams, name, parsed)) {
      throw new PolicyDeniedError();
    }
    // The deployment's own list bounds every caller rule ('*' included): a scope the developer key
    // was not configured for is refused here, before any table write or upstream call.
    if (name === 'scopes' && credential.lti !== undefined) {
      const allowed = credential.lti.allowedScopes;
      if (!(parsed as readonly string[]).every((scope) => allowed.includes(scope)))
        throw new PolicyDeniedError();
    }
    (merged as Record<string, unknown>)[name] = parsed;
  }
  return merged;
};

/**
 * Validates the caller's raw parameters against the credential, merges them with the fixed ones
 * and returns one canonical object of what is sent upstream, so equal upstream requests always
 * share one cached variant. Malformed or incomplete input is a BAD_REQUEST; a parameter the caller
 * may not set (or not to that value) is POLICY_DENIED, the same answer as a forbidden credential.
 */
export const normalizeParams = (credential: CredentialConfig, requested: unknown): NormalizedParams => {
  const merged = normalizeParamValues(credential, requested);
  assertCompleteContext(merged);
  if (credential.kind === 'lti-advantage' && (merged.scopes === undefined || merged.scopes.length === 0)) {
    throw new BadRequestError('params.scopes: an lti-advantage token needs at least one scope');
  }
  return dropDefaults({ ...merged });
};
