import { type BrokerSettings, DEFAULT_SETTINGS } from '../core/broker-settings.ts';
import type { CallerPolicy, CallerRule } from '../core/caller-policy.ts';
import {
  type CallerParamRules,
  CREDENTIAL_ID_PATTERN,
  type CredentialConfig,
  type NormalizedParams,
  PARAM_NAMES,
  type ParamName,
  TOKEN_KINDS,
  type TokenKind,
} from '../core/credential.ts';
import { ConfigInvalidError } from '../core/errors.ts';
import { MAX_TOKEN_LIFETIME_SECONDS } from '../core/limits.ts';
import { normalizeParamValues } from '../core/normalize-params.ts';
import type { SettingName } from './broker-config.ts';

export interface ParsedBrokerConfig {
  readonly credentials: CredentialConfig[];
  readonly policy: CallerPolicy;
  readonly settings: BrokerSettings;
}

type Json = Record<string, unknown>;

const fail = (path: string, problem: string): never => {
  throw new ConfigInvalidError(`${path}: ${problem}`, { details: { field: path } });
};

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;

const objectAt = (value: unknown, path: string, allowed: readonly string[]): Json => {
  if (!isObject(value)) return fail(path, `must be an object, got ${describe(value)}`);
  for (const key of Object.keys(value)) {
    // Unknown fields are rejected rather than ignored: a typo (`callerParam`) must not silently
    // widen or narrow what the broker grants.
    if (!allowed.includes(key)) fail(`${path}.${key}`, `unknown field (allowed: ${allowed.join(', ')})`);
  }
  return value;
};

const arrayAt = (value: unknown, path: string): unknown[] =>
  Array.isArray(value) ? value : fail(path, `must be an array, got ${describe(value)}`);

// Printable ASCII without spaces: ids, ARNs and names never need more, and log lines stay clean.
const PRINTABLE = /^[\x21-\x7E]+$/;

const stringAt = (value: unknown, path: string, maxLength = 2048): string => {
  if (typeof value !== 'string') return fail(path, `must be a string, got ${describe(value)}`);
  if (value.length === 0) return fail(path, 'must not be empty');
  if (value.length > maxLength) return fail(path, `must be at most ${maxLength} characters`);
  if (!PRINTABLE.test(value)) return fail(path, 'must be printable ASCII without whitespace');
  return value;
};

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);
const isLoopback = (hostname: string): boolean =>
  LOOPBACK_HOSTS.has(hostname) || /^127(?:\.\d{1,3}){3}$/.test(hostname);

const baseUrlAt = (value: unknown, path: string): string => {
  const text = stringAt(value, path);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail(path, 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return fail(path, 'must use https');
  // Plain http is only for local mode (simulator on loopback); anything else would send the
  // long-lived Canvas token in the clear.
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    return fail(path, 'must use https (http is allowed only for loopback hosts)');
  }
  if (url.username !== '' || url.password !== '') return fail(path, 'must not contain credentials');
  if (url.search !== '' || url.hash !== '') return fail(path, 'must not contain a query or fragment');
  // Upstream clients append `/api/v1/...`; a trailing slash would double it.
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
};

/** Only canvas-jwt takes request parameters (contract section 2); the other kinds have none. */
const kindTakesParams = (kind: TokenKind): boolean => kind === 'canvas-jwt';

// A credential that lets every parameter through: running config values through the core's own
// `normalizeParams` with it applies exactly the rules caller requests meet, and yields the same
// canonical form (sorted workflows, `Course` not `course`), so a fixed or allowed value can never
// be one a request could not match.
const ANY_PARAMS: CredentialConfig = {
  id: 'config',
  kind: 'canvas-jwt',
  secretId: 'config',
  baseUrl: 'https://config.invalid',
  fixedParams: {},
  callerParams: Object.fromEntries(PARAM_NAMES.map((name) => [name, '*'])),
};

/** The core's message is `params.<name>: <problem>`: split it to re-anchor it on a config path. */
const coreProblem = (error: unknown): { name?: string; problem: string } => {
  const message = error instanceof Error ? error.message : String(error);
  const match = /^params(?:\.(\w+))?: (.*)$/.exec(message);
  return match === null ? { problem: message } : { name: match[1], problem: match[2]! };
};

const normalizedAt = (value: Json, path: string): NormalizedParams => {
  try {
    return normalizeParamValues(ANY_PARAMS, value);
  } catch (error) {
    const { name, problem } = coreProblem(error);
    return fail(name === undefined ? path : `${path}.${name}`, problem);
  }
};

const fixedParamsAt = (value: unknown, path: string, kind: TokenKind): NormalizedParams => {
  if (value === undefined) return {};
  const input = objectAt(value, path, PARAM_NAMES);
  if (Object.keys(input).length === 0) return {};
  if (!kindTakesParams(kind)) return fail(path, `kind ${kind} takes no parameters`);
  const fixed = normalizedAt(input, path);
  if (fixed.contextId !== undefined && fixed.contextUuid !== undefined) {
    fail(path, 'give contextId or contextUuid, not both');
  }
  return fixed;
};

/** One allowed value of a caller-choosable parameter, in the string form the core compares. */
const allowedValueAt = (name: ParamName, value: unknown, path: string): string => {
  if (name === 'canvasAudience') {
    if (value === true || value === 'true') return 'true';
    if (value === false || value === 'false') return 'false';
    return fail(path, 'must be true or false');
  }
  let normalized: NormalizedParams[ParamName];
  try {
    normalized = normalizeParamValues(ANY_PARAMS, { [name]: name === 'workflows' ? [value] : value })[name];
  } catch (error) {
    return fail(path, coreProblem(error).problem);
  }
  return String(Array.isArray(normalized) ? normalized[0] : normalized);
};

const callerParamsAt = (
  value: unknown,
  path: string,
  kind: TokenKind,
  fixed: NormalizedParams,
): CallerParamRules => {
  if (value === undefined) return {};
  const input = objectAt(value, path, PARAM_NAMES);
  if (Object.keys(input).length === 0) return {};
  if (!kindTakesParams(kind)) return fail(path, `kind ${kind} takes no parameters`);
  const out: { -readonly [K in ParamName]?: '*' | readonly string[] } = {};
  for (const name of Object.keys(input) as ParamName[]) {
    const at = `${path}.${name}`;
    // A fixed parameter is the operator's decision; letting a caller also choose it would make
    // the fixed value a default instead of a guarantee.
    if (fixed[name] !== undefined) fail(at, 'is fixed by fixedParams and cannot also be caller-chosen');
    const rule = input[name];
    if (rule === '*') {
      out[name] = '*';
      continue;
    }
    if (!Array.isArray(rule) || rule.length === 0)
      fail(at, 'must be "*" or a non-empty array of allowed values');
    out[name] = [...new Set((rule as unknown[]).map((v, i) => allowedValueAt(name, v, `${at}[${i}]`)))];
  }
  return out;
};

/**
 * A fixed context half that no request can complete (a type with no id a caller may choose, or an
 * id with no type) would make every request a 400: that is a config mistake, caught at init.
 */
const contextReachableAt = (fixed: NormalizedParams, caller: CallerParamRules, path: string): void => {
  const can = (name: ParamName): boolean => fixed[name] !== undefined || Object.hasOwn(caller, name);
  const idPossible = can('contextId') || can('contextUuid');
  if (fixed.contextType !== undefined && !idPossible) {
    fail(`${path}.fixedParams.contextType`, 'needs a fixed or caller-chosen contextId or contextUuid');
  }
  if ((fixed.contextId !== undefined || fixed.contextUuid !== undefined) && !can('contextType')) {
    fail(`${path}.fixedParams`, 'a fixed context id needs a fixed or caller-chosen contextType');
  }
};

const credentialAt = (value: unknown, path: string): CredentialConfig => {
  const input = objectAt(value, path, [
    'id',
    'kind',
    'secretId',
    'baseUrl',
    'fixedParams',
    'callerParams',
    'lifetimeSeconds',
  ]);
  const id = stringAt(input.id, `${path}.id`, 63);
  if (!CREDENTIAL_ID_PATTERN.test(id)) {
    fail(`${path}.id`, 'must be lower-case letters, digits and dashes, starting with a letter or digit');
  }
  if (!TOKEN_KINDS.includes(input.kind as TokenKind)) {
    fail(`${path}.kind`, `must be one of ${TOKEN_KINDS.join(', ')}`);
  }
  const kind = input.kind as TokenKind;
  const secretId = stringAt(input.secretId, `${path}.secretId`);
  const baseUrl = baseUrlAt(input.baseUrl, `${path}.baseUrl`);
  const fixedParams = fixedParamsAt(input.fixedParams, `${path}.fixedParams`, kind);
  const callerParams = callerParamsAt(input.callerParams, `${path}.callerParams`, kind, fixedParams);
  contextReachableAt(fixedParams, callerParams, path);
  const credential: CredentialConfig = { id, kind, secretId, baseUrl, fixedParams, callerParams };
  if (input.lifetimeSeconds === undefined) return credential;
  const lifetime = input.lifetimeSeconds;
  if (
    !Number.isInteger(lifetime) ||
    (lifetime as number) < 1 ||
    (lifetime as number) > MAX_TOKEN_LIFETIME_SECONDS
  ) {
    fail(`${path}.lifetimeSeconds`, `must be an integer from 1 to ${MAX_TOKEN_LIFETIME_SECONDS}`);
  }
  return { ...credential, lifetimeSeconds: lifetime as number };
};

const PARTITION = '(?:aws|aws-cn|aws-us-gov)';
const ACCOUNT = '\\d{12}';
// IAM name characters (roles and users): letters, digits and + = , . @ _ -
const NAME = '[\\w+=,.@-]';
const ROLE_ARN = new RegExp(`^arn:${PARTITION}:iam::${ACCOUNT}:role/${NAME}{1,64}$`);
const ROLE_PREFIX_ARN = new RegExp(`^arn:${PARTITION}:iam::${ACCOUNT}:role/${NAME}{0,63}\\*$`);
const ROLE_WITH_PATH = new RegExp(`^arn:${PARTITION}:iam::${ACCOUNT}:role/.+/`);
const USER_ARN = new RegExp(`^arn:${PARTITION}:iam::${ACCOUNT}:user/(?:${NAME}+/)*${NAME}{1,64}$`);
const STS_ARN = new RegExp(`^arn:${PARTITION}:sts::`);
const ACCOUNT_PRINCIPAL = new RegExp(`^account:${ACCOUNT}$`);

const principalAt = (value: unknown, path: string): string => {
  const text = stringAt(value, path);
  if (text === 'lambda-invoke' || ACCOUNT_PRINCIPAL.test(text)) return text;
  if (ROLE_ARN.test(text) || ROLE_PREFIX_ARN.test(text) || USER_ARN.test(text)) return text;
  // Callers sign with role sessions whose ARN (arn:aws:sts::<acct>:assumed-role/<Role>/<session>)
  // carries neither the role's path nor a stable session name; the edge reduces it to
  // arn:aws:iam::<acct>:role/<Role>, so only that form can ever match.
  if (ROLE_WITH_PATH.test(text)) {
    return fail(path, 'list the role without its path (assumed-role ARNs do not carry role paths)');
  }
  if (STS_ARN.test(text))
    return fail(path, 'use the role ARN arn:aws:iam::<account>:role/<name>, not an STS ARN');
  return fail(
    path,
    'must be an IAM role or user ARN, a role ARN ending in * on the role name, account:<12 digits> or lambda-invoke',
  );
};

const callerRuleAt = (value: unknown, path: string, knownIds: ReadonlySet<string>): CallerRule => {
  const input = objectAt(value, path, ['principals', 'credentials', 'admin']);
  const principals = arrayAt(input.principals, `${path}.principals`);
  if (principals.length === 0) fail(`${path}.principals`, 'must not be empty');
  const credentials = arrayAt(input.credentials, `${path}.credentials`);
  if (credentials.length === 0) fail(`${path}.credentials`, 'must not be empty');
  if (input.admin !== undefined && typeof input.admin !== 'boolean') {
    fail(`${path}.admin`, `must be a boolean, got ${describe(input.admin)}`);
  }
  return {
    principals: principals.map((p, i) => principalAt(p, `${path}.principals[${i}]`)),
    credentials: credentials.map((c, i) => {
      const at = `${path}.credentials[${i}]`;
      const id = stringAt(c, at, 63);
      return id === '*' || knownIds.has(id) ? id : fail(at, `unknown credential "${id}"`);
    }),
    admin: input.admin === true,
  };
};

const SETTING_NAMES = Object.keys(DEFAULT_SETTINGS) as SettingName[];
// Zero jitter is a legitimate choice (deterministic tests, a single credential); zero anything else
// would disable a safety margin or make a loop spin.
const ZERO_ALLOWED: ReadonlySet<SettingName> = new Set<SettingName>(['refreshJitterMs']);

const settingsAt = (value: unknown, path: string): BrokerSettings => {
  if (value === undefined) return DEFAULT_SETTINGS;
  const input = objectAt(value, path, SETTING_NAMES);
  const out: Record<string, number> = { ...DEFAULT_SETTINGS };
  for (const name of Object.keys(input) as SettingName[]) {
    const v = input[name];
    const min = ZERO_ALLOWED.has(name) ? 0 : 1;
    if (!Number.isSafeInteger(v) || (v as number) < min) {
      fail(`${path}.${name}`, `must be an integer number of milliseconds >= ${min}`);
    }
    out[name] = v as number;
  }
  const settings = out as unknown as BrokerSettings;
  if (settings.pollMinMs > settings.pollMaxMs) fail(`${path}.pollMinMs`, 'must not exceed pollMaxMs');
  if (settings.backoffMinMs > settings.backoffCapMs)
    fail(`${path}.backoffMinMs`, 'must not exceed backoffCapMs');
  if (settings.backoffBaseMs > settings.backoffCapMs) {
    fail(`${path}.backoffBaseMs`, 'must not exceed backoffCapMs');
  }
  return settings;
};

/**
 * Validates the parsed JSON of a BrokerConfigInput, strictly: unknown fields, unknown credential
 * references and malformed principals are errors, never ignored. Runs once at cold start, so a bad
 * config fails the function's init with a ConfigInvalidError naming the field
 * (`credentials[1].kind: must be one of ...`), never a request.
 */
export const parseBrokerConfig = (input: unknown): ParsedBrokerConfig => {
  const root = objectAt(input, '(config)', ['credentials', 'callers', 'settings']);
  const list = arrayAt(root.credentials, 'credentials');
  if (list.length === 0) fail('credentials', 'must list at least one credential');
  const credentials = list.map((c, i) => credentialAt(c, `credentials[${i}]`));
  const ids = new Set<string>();
  credentials.forEach((c, i) => {
    if (ids.has(c.id)) fail(`credentials[${i}].id`, `duplicate credential id "${c.id}"`);
    ids.add(c.id);
  });
  const rules = arrayAt(root.callers, 'callers').map((r, i) => callerRuleAt(r, `callers[${i}]`, ids));
  return { credentials, policy: { rules }, settings: settingsAt(root.settings, 'settings') };
};
