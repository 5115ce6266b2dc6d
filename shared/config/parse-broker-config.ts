import * as v from 'valibot';
import { type BrokerSettings, DEFAULT_SETTINGS } from '../core/broker-settings.ts';
import type { CallerPolicy, CallerRule } from '../core/caller-policy.ts';
import {
  type CallerParamRules,
  type CredentialConfig,
  KIND_PARAMS,
  LTI_SIGNING_KEY_SECRET_ID,
  type LtiCredentialSettings,
  type NormalizedParams,
  PARAM_NAMES,
  type ParamName,
  type TokenKind,
} from '../core/credential.ts';
import { ConfigInvalidError } from '../core/errors.ts';
import { normalizeParamValues } from '../core/normalize-params.ts';
import type { BrokerConfigInput } from './broker-config.ts';
import { brokerConfigSchema } from './broker-config-schema.ts';

export interface ParsedBrokerConfig {
  readonly credentials: CredentialConfig[];
  readonly policy: CallerPolicy;
  readonly settings: BrokerSettings;
}

type Json = Record<string, unknown>;

const fail = (path: string, problem: string): never => {
  throw new ConfigInvalidError(`${path}: ${problem}`, { details: { field: path } });
};

/** A schema issue's path as messages name it: `credentials[1].kind`, `(config)` for the root. */
const pathOf = (issue: v.BaseIssue<unknown>): string => {
  const items = issue.path ?? [];
  if (items.length === 0) return '(config)';
  let path = '';
  for (const item of items) {
    if (item.type === 'array') path += `[${String(item.key)}]`;
    else path += path === '' ? String(item.key) : `.${String(item.key)}`;
  }
  // An unknown field at the top level is named under the root, like every other unknown field.
  return items.length === 1 && issue.expected === 'never' ? `(config).${path}` : path;
};

/** The shape, from the one schema; the first problem (in field order) fails the parse. */
const shapeOf = (input: unknown): BrokerConfigInput => {
  const result = v.safeParse(brokerConfigSchema, input, { abortEarly: true });
  if (result.success) return result.output as BrokerConfigInput;
  const issue = result.issues[0];
  return fail(pathOf(issue), issue.message);
};

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);
const isLoopback = (hostname: string): boolean =>
  LOOPBACK_HOSTS.has(hostname) || /^127(?:\.\d{1,3}){3}$/.test(hostname);

const baseUrlAt = (text: string, path: string): string => {
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

/** Only canvas-jwt and lti-advantage send request parameters upstream; the other kinds take none. */
const kindTakesParams = (kind: TokenKind): boolean => KIND_PARAMS[kind].length > 0;

// A credential that lets every parameter through: running config values through the core's own
// `normalizeParams` with it applies exactly the rules caller requests meet, and yields the same
// canonical form (sorted workflows, `Course` not `course`), so a fixed or allowed value can never
// be one a request could not match.
const anyParams = (kind: TokenKind): CredentialConfig => ({
  id: 'config',
  kind,
  secretId: 'config',
  baseUrl: 'https://config.invalid',
  fixedParams: {},
  callerParams: Object.fromEntries(PARAM_NAMES.map((name) => [name, '*'])),
});

/** The core's message is `params.<name>: <problem>`: split it to re-anchor it on a config path. */
const coreProblem = (error: unknown): { name?: string; problem: string } => {
  const message = error instanceof Error ? error.message : String(error);
  const match = /^params(?:\.(\w+))?: (.*)$/.exec(message);
  return match === null ? { problem: message } : { name: match[1], problem: match[2]! };
};

const normalizedAt = (value: Json, path: string, kind: TokenKind): NormalizedParams => {
  try {
    return normalizeParamValues(anyParams(kind), value);
  } catch (error) {
    const { name, problem } = coreProblem(error);
    return fail(name === undefined ? path : `${path}.${name}`, problem);
  }
};

const fixedParamsAt = (input: Json | undefined, path: string, kind: TokenKind): NormalizedParams => {
  if (input === undefined) return {};
  if (Object.keys(input).length === 0) return {};
  if (!kindTakesParams(kind)) return fail(path, `kind ${kind} takes no parameters`);
  const fixed = normalizedAt(input, path, kind);
  if (fixed.contextId !== undefined && fixed.contextUuid !== undefined) {
    fail(path, 'give contextId or contextUuid, not both');
  }
  return fixed;
};

/** One allowed value of a caller-choosable parameter, in the string form the core compares. */
const allowedValueAt = (name: ParamName, value: unknown, path: string, kind: TokenKind): string => {
  if (name === 'canvasAudience') {
    if (value === true || value === 'true') return 'true';
    if (value === false || value === 'false') return 'false';
    return fail(path, 'must be true or false');
  }
  let normalized: NormalizedParams[ParamName];
  try {
    const list = name === 'workflows' || name === 'scopes';
    normalized = normalizeParamValues(anyParams(kind), { [name]: list ? [value] : value })[name];
  } catch (error) {
    return fail(path, coreProblem(error).problem);
  }
  return String(Array.isArray(normalized) ? normalized[0] : normalized);
};

const callerParamsAt = (
  input: Json | undefined,
  path: string,
  kind: TokenKind,
  fixed: NormalizedParams,
): CallerParamRules => {
  if (input === undefined) return {};
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
    out[name] = [...new Set((rule as unknown[]).map((v, i) => allowedValueAt(name, v, `${at}[${i}]`, kind)))];
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

type CredentialInput = BrokerConfigInput['credentials'][number];

/** An absolute https URL (http for loopback), path kept: the token endpoint or an audience URL. */
const endpointAt = (text: string, path: string): string => {
  baseUrlAt(text, path);
  return new URL(text).href;
};

const ltiAt = (input: CredentialInput, path: string): LtiCredentialSettings | undefined => {
  const lti = input.lti;
  if (input.kind !== 'lti-advantage') {
    return lti === undefined ? undefined : fail(`${path}.lti`, `is only for kind lti-advantage`);
  }
  if (lti === undefined) return fail(`${path}.lti`, 'is required for kind lti-advantage');
  // The developer key's scopes are compared exactly as a request's are: normalized by the core.
  const scopes = normalizedAt({ scopes: lti.scopes }, `${path}.lti`, 'lti-advantage').scopes ?? [];
  return {
    clientId: lti.clientId,
    allowedScopes: scopes,
    ...(lti.tokenUrl === undefined ? {} : { tokenUrl: endpointAt(lti.tokenUrl, `${path}.lti.tokenUrl`) }),
    ...(lti.audience === undefined ? {} : { audience: lti.audience }),
  };
};

/** Every fixed or caller-allowed scope must be one the developer key has: anything else never mints. */
const scopesWithinAt = (
  lti: LtiCredentialSettings,
  fixed: NormalizedParams,
  caller: CallerParamRules,
  path: string,
): void => {
  const outside = (list: readonly string[]) => list.find((s) => !lti.allowedScopes.includes(s));
  const fixedOutside = outside(fixed.scopes ?? []);
  if (fixedOutside !== undefined)
    fail(`${path}.fixedParams.scopes`, `"${fixedOutside}" is not in lti.scopes`);
  const rule = caller.scopes;
  const callerOutside = Array.isArray(rule) ? outside(rule) : undefined;
  if (callerOutside !== undefined)
    fail(`${path}.callerParams.scopes`, `"${callerOutside}" is not in lti.scopes`);
};

const secretIdAt = (input: CredentialInput, path: string): string => {
  // An lti-advantage credential's "secret" is the signing key (KMS, or local mode's key file),
  // named by one reserved id; its kid is the secret version recorded on every token.
  if (input.kind === 'lti-advantage') {
    return input.secretId === undefined
      ? LTI_SIGNING_KEY_SECRET_ID
      : fail(`${path}.secretId`, 'is not used by kind lti-advantage (its key is the deployment signing key)');
  }
  return input.secretId ?? fail(`${path}.secretId`, 'is required for this kind');
};

const credentialAt = (input: CredentialInput, path: string): CredentialConfig => {
  const { id, kind } = input;
  const secretId = secretIdAt(input, path);
  const baseUrl = baseUrlAt(input.baseUrl, `${path}.baseUrl`);
  const lti = ltiAt(input, path);
  const fixedParams = fixedParamsAt(input.fixedParams, `${path}.fixedParams`, kind);
  let callerParams = callerParamsAt(input.callerParams, `${path}.callerParams`, kind, fixedParams);
  contextReachableAt(fixedParams, callerParams, path);
  if (lti !== undefined) {
    // Unless the operator fixed or narrowed them, callers choose among the developer key's scopes.
    if (fixedParams.scopes === undefined && callerParams.scopes === undefined) {
      callerParams = { ...callerParams, scopes: '*' };
    }
    scopesWithinAt(lti, fixedParams, callerParams, path);
  }
  const credential: CredentialConfig = {
    id,
    kind,
    secretId,
    baseUrl,
    fixedParams,
    callerParams,
    ...(lti === undefined ? {} : { lti }),
  };
  return input.lifetimeSeconds === undefined
    ? credential
    : { ...credential, lifetimeSeconds: input.lifetimeSeconds };
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

const principalAt = (text: string, path: string): string => {
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

type CallerRuleInput = BrokerConfigInput['callers'][number];

const callerRuleAt = (input: CallerRuleInput, path: string, knownIds: ReadonlySet<string>): CallerRule => ({
  principals: input.principals.map((p, i) => principalAt(p, `${path}.principals[${i}]`)),
  credentials: input.credentials.map((id, i) =>
    id === '*' || knownIds.has(id) ? id : fail(`${path}.credentials[${i}]`, `unknown credential "${id}"`),
  ),
  admin: input.admin === true,
});

const settingsAt = (input: BrokerConfigInput['settings'], path: string): BrokerSettings => {
  if (input === undefined) return DEFAULT_SETTINGS;
  const settings: BrokerSettings = { ...DEFAULT_SETTINGS, ...input };
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
  const root = shapeOf(input);
  const credentials = root.credentials.map((c, i) => credentialAt(c, `credentials[${i}]`));
  const ids = new Set<string>();
  credentials.forEach((c, i) => {
    if (ids.has(c.id)) fail(`credentials[${i}].id`, `duplicate credential id "${c.id}"`);
    ids.add(c.id);
  });
  const rules = root.callers.map((r, i) => callerRuleAt(r, `callers[${i}]`, ids));
  return { credentials, policy: { rules }, settings: settingsAt(root.settings, 'settings') };
};
