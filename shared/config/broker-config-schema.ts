import * as v from 'valibot';
import { type BrokerSettings, DEFAULT_SETTINGS } from '../core/broker-settings.ts';
import { CREDENTIAL_ID_PATTERN, TOKEN_KINDS } from '../core/credential.ts';
import { MAX_TOKEN_LIFETIME_SECONDS } from '../core/limits.ts';
import { SETTING_DOCS } from './setting-docs.ts';

/**
 * The one schema of `config.json` (BROKER_CONFIG): the TypeScript input type (`BrokerConfigInput`),
 * the structural validation `parseBrokerConfig` runs first, the published JSON Schema
 * (docs/config.schema.json) and the configuration reference (docs/configuration.md) all come from
 * here. What the shape cannot say (parameter values as the core normalizes them, principals,
 * cross-references, the https rule) is checked by parseBrokerConfig after it, on typed input.
 *
 * Messages are written to read as `<path>: <problem>` (the path is added by parseBrokerConfig).
 */

/** How a bad value is named in messages: `got a string`, `got an array`, `got null`. */
export const describeValue = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;

// Printable ASCII without spaces: ids, ARNs and names never need more, and log lines stay clean.
const PRINTABLE = /^[\x21-\x7E]+$/;

/**
 * A strict object: unknown fields are rejected rather than ignored, since a typo (`callerParam`)
 * must not silently widen or narrow what the broker grants.
 */
const strict = <const E extends v.ObjectEntries>(entries: E, description: string) =>
  v.pipe(
    v.strictObject(entries, (issue) => {
      if (issue.expected === 'never') return `unknown field (allowed: ${Object.keys(entries).join(', ')})`;
      const missing = issue.path?.at(-1);
      if (missing?.origin === 'key' && typeof missing.key === 'string' && missing.key in entries) {
        // A required field left out reads as that field's own complaint about `undefined`.
        return v.safeParse(entries[missing.key]!, undefined).issues?.[0]?.message ?? 'is required';
      }
      return `must be an object, got ${describeValue(issue.input)}`;
    }),
    v.description(description),
  );

export const stringField = (maxLength: number, description: string) =>
  v.pipe(
    v.string((issue) => `must be a string, got ${describeValue(issue.input)}`),
    v.minLength(1, 'must not be empty'),
    v.maxLength(maxLength, `must be at most ${maxLength} characters`),
    v.regex(PRINTABLE, 'must be printable ASCII without whitespace'),
    v.description(description),
  );

const arrayOf = <const T extends v.GenericSchema>(item: T, empty: string, description: string) =>
  v.pipe(
    v.array(item, (issue) => `must be an array, got ${describeValue(issue.input)}`),
    v.minLength(1, empty),
    v.description(description),
  );

const PARAM_ENTRIES = {
  workflows: v.optional(
    v.pipe(v.unknown(), v.description('canvas-jwt: workflow names (e.g. ["ui"]); sorted and de-duplicated.')),
  ),
  contextType: v.optional(v.pipe(v.unknown(), v.description('canvas-jwt: Course, User or Account.'))),
  contextId: v.optional(v.pipe(v.unknown(), v.description('canvas-jwt: the context id (digits).'))),
  contextUuid: v.optional(v.pipe(v.unknown(), v.description('canvas-jwt: the context UUID.'))),
  canvasAudience: v.optional(
    v.pipe(v.unknown(), v.description('canvas-jwt: false asks for a signed-only (readable) token.')),
  ),
  audience: v.optional(v.pipe(v.unknown(), v.description('canvas-jwt: the audience of the token.'))),
  scopes: v.optional(
    v.pipe(
      v.unknown(),
      v.description('lti-advantage: LTI Advantage scopes; each must be listed in lti.scopes.'),
    ),
  ),
};

const ltiSchema = strict(
  {
    clientId: stringField(
      255,
      "The Canvas developer key's client id: iss and sub of every client assertion.",
    ),
    scopes: arrayOf(
      stringField(256, 'An LTI Advantage scope.'),
      'must list at least one scope',
      'The scopes enabled on the developer key: no caller can get a token for any other scope.',
    ),
    tokenUrl: v.optional(
      stringField(
        2048,
        'The token endpoint when it is not {baseUrl}/login/oauth2/token (Instructure-hosted Canvas: https://sso.canvaslms.com/login/oauth2/token).',
      ),
    ),
    audience: v.optional(
      stringField(2048, "The assertion's aud when Canvas expects something other than the token endpoint."),
    ),
  },
  'lti-advantage only: the developer key the broker signs client assertions for (the key itself is in KMS).',
);

const credentialSchema = strict(
  {
    id: v.pipe(
      stringField(63, 'The name callers ask for: lower-case letters, digits and dashes.'),
      v.regex(
        CREDENTIAL_ID_PATTERN,
        'must be lower-case letters, digits and dashes, starting with a letter or digit',
      ),
    ),
    kind: v.pipe(
      v.picklist(TOKEN_KINDS, `must be one of ${TOKEN_KINDS.join(', ')}`),
      v.description('Which Instructure token this credential mints.'),
    ),
    secretId: v.optional(
      stringField(
        2048,
        'Secrets Manager secret id or ARN holding the upstream credentials (local mode: a key of secrets.json); required for every kind but lti-advantage, whose key is in KMS.',
      ),
    ),
    baseUrl: stringField(
      2048,
      'Upstream base URL: the Identity Service gateway or the Canvas host; https (http only for loopback hosts).',
    ),
    fixedParams: v.optional(
      strict(PARAM_ENTRIES, 'canvas-jwt, lti-advantage: parameters every token of this credential carries.'),
    ),
    callerParams: v.optional(
      strict(
        PARAM_ENTRIES,
        'canvas-jwt, lti-advantage: parameters a caller may choose: "*" or a non-empty list of allowed values each (lti-advantage: scopes defaults to "*", bounded by lti.scopes).',
      ),
    ),
    lti: v.optional(ltiSchema),
    lifetimeSeconds: v.optional(
      v.pipe(
        v.number(`must be an integer from 1 to ${MAX_TOKEN_LIFETIME_SECONDS}`),
        v.integer(`must be an integer from 1 to ${MAX_TOKEN_LIFETIME_SECONDS}`),
        v.minValue(1, `must be an integer from 1 to ${MAX_TOKEN_LIFETIME_SECONDS}`),
        v.maxValue(MAX_TOKEN_LIFETIME_SECONDS, `must be an integer from 1 to ${MAX_TOKEN_LIFETIME_SECONDS}`),
        v.description('Nominal token lifetime, to refuse an impossible minTtlSeconds before minting.'),
      ),
    ),
  },
  'A named profile the broker mints tokens for.',
);

const callerRuleSchema = strict(
  {
    principals: arrayOf(
      stringField(2048, 'A principal.'),
      'must not be empty',
      'IAM role or user ARNs, role ARNs ending in * on the role name, account:<12 digits>, or lambda-invoke.',
    ),
    credentials: arrayOf(
      stringField(63, 'A credential id, or *.'),
      'must not be empty',
      'Credential ids, or * for all.',
    ),
    admin: v.optional(
      v.pipe(
        v.boolean((issue) => `must be a boolean, got ${describeValue(issue.input)}`),
        v.description('May call the admin routes for those credentials.'),
      ),
    ),
  },
  'Deny by default: a caller may use a credential only if a rule lists both.',
);

/** Zero jitter is a legitimate choice; zero anything else would disable a margin or make a loop spin. */
export const ZERO_ALLOWED_SETTINGS: ReadonlySet<keyof BrokerSettings> = new Set(['refreshJitterMs']);

const settingSchema = (name: keyof BrokerSettings) => {
  const min = ZERO_ALLOWED_SETTINGS.has(name) ? 0 : 1;
  const message = `must be an integer number of milliseconds >= ${min}`;
  return v.optional(
    v.pipe(
      v.number(message),
      v.safeInteger(message),
      v.minValue(min, message),
      v.description(SETTING_DOCS[name]),
      v.metadata({ default: DEFAULT_SETTINGS[name] }),
    ),
  );
};

const SETTING_NAMES = Object.keys(DEFAULT_SETTINGS) as (keyof BrokerSettings)[];

const settingsSchema = strict(
  Object.fromEntries(SETTING_NAMES.map((name) => [name, settingSchema(name)])) as {
    [K in keyof BrokerSettings]: ReturnType<typeof settingSchema>;
  },
  'Tuning overrides, every one in milliseconds; anything not given keeps its default.',
);

export const brokerConfigSchema = strict(
  {
    credentials: arrayOf(
      credentialSchema,
      'must list at least one credential',
      'The credentials the broker serves.',
    ),
    callers: v.pipe(
      v.array(callerRuleSchema, (issue) => `must be an array, got ${describeValue(issue.input)}`),
      v.description('The caller policy: rules of principals and the credentials they may use.'),
    ),
    settings: v.optional(settingsSchema),
    $schema: v.optional(
      v.pipe(
        v.string(),
        v.description('The JSON Schema of this file (docs/config.schema.json), for editors.'),
      ),
    ),
  },
  'canvas-credential-broker configuration (BROKER_CONFIG, or config.json in local mode).',
);
