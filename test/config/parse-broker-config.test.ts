import { describe, expect, it } from 'vitest';
import { parseBrokerConfig } from '../../shared/config/parse-broker-config.ts';
import { DEFAULT_SETTINGS } from '../../shared/core/broker-settings.ts';
import { ConfigInvalidError } from '../../shared/core/errors.ts';

const ROLE = 'arn:aws:iam::111122223333:role/reporting';

const valid = () => ({
  credentials: [
    {
      id: 'dap',
      kind: 'identity-service',
      secretId: 'dap-secret',
      baseUrl: 'https://api-gateway.instructure.com',
    },
    {
      id: 'canvas-ui',
      kind: 'canvas-jwt',
      secretId: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:canvas-AbCdEf',
      baseUrl: 'https://canvas.example.edu/',
      fixedParams: { workflows: ['ui', 'rich_content', 'ui'] },
      callerParams: { contextType: ['course'], contextId: '*', canvasAudience: [false] },
    },
  ],
  callers: [{ principals: [ROLE], credentials: ['dap', 'canvas-ui'] }],
});

/** The message of the ConfigInvalidError that `input` raises. */
const problem = (input: unknown): string => {
  try {
    parseBrokerConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigInvalidError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigInvalidError');
};

const withCredential = (index: number, patch: Record<string, unknown>) => {
  const config = valid();
  (config.credentials as Record<string, unknown>[])[index] = { ...config.credentials[index], ...patch };
  return config;
};

const withCaller = (patch: Record<string, unknown>) => ({
  ...valid(),
  callers: [{ principals: [ROLE], credentials: ['dap'], ...patch }],
});

describe('parseBrokerConfig', () => {
  it('accepts a valid config and fills every setting from the defaults', () => {
    const parsed = parseBrokerConfig(valid());
    expect(parsed.credentials.map((c) => c.id)).toEqual(['dap', 'canvas-ui']);
    expect(parsed.settings).toEqual(DEFAULT_SETTINGS);
    expect(parsed.policy.rules).toEqual([
      { principals: [ROLE], credentials: ['dap', 'canvas-ui'], admin: false },
    ]);
  });

  it('normalizes parameters the way the core normalizes requests', () => {
    const jwt = parseBrokerConfig(valid()).credentials[1]!;
    expect(jwt.fixedParams).toEqual({ workflows: ['rich_content', 'ui'] });
    expect(jwt.callerParams).toEqual({ contextType: ['Course'], contextId: '*', canvasAudience: ['false'] });
  });

  it('drops a trailing slash from the base URL', () => {
    expect(parseBrokerConfig(valid()).credentials[1]!.baseUrl).toBe('https://canvas.example.edu');
  });

  it('applies settings overrides in milliseconds', () => {
    const parsed = parseBrokerConfig({ ...valid(), settings: { leaseMs: 20_000, refreshJitterMs: 0 } });
    expect(parsed.settings.leaseMs).toBe(20_000);
    expect(parsed.settings.refreshJitterMs).toBe(0);
    expect(parsed.settings.maxWaitMs).toBe(DEFAULT_SETTINGS.maxWaitMs);
  });

  it.each([
    ['a non-object config', null, '(config): must be an object'],
    ['an unknown top-level field', { ...valid(), extra: 1 }, '(config).extra: unknown field'],
    ['missing credentials', { callers: [] }, 'credentials: must be an array'],
    ['an empty credential list', { credentials: [], callers: [] }, 'credentials: must list at least one'],
    ['missing callers', { credentials: valid().credentials }, 'callers: must be an array'],
  ])('rejects %s', (_name, input, message) => {
    expect(problem(input)).toContain(message);
  });

  it.each([
    [
      'an unknown kind',
      { kind: 'oauth' },
      'credentials[1].kind: must be one of identity-service, canvas-jwt, inst-access, lti-advantage',
    ],
    ['an id with capitals', { id: 'Canvas' }, 'credentials[1].id: must be lower-case'],
    ['an id starting with a dash', { id: '-x' }, 'credentials[1].id:'],
    ['an empty secret id', { secretId: '' }, 'credentials[1].secretId: must not be empty'],
    ['a secret id with spaces', { secretId: 'my secret' }, 'credentials[1].secretId: must be printable'],
    ['a relative base URL', { baseUrl: 'canvas.example.edu' }, 'credentials[1].baseUrl: must be an absolute'],
    [
      'plain http to a remote host',
      { baseUrl: 'http://canvas.example.edu' },
      'credentials[1].baseUrl: must use https',
    ],
    ['an ftp URL', { baseUrl: 'ftp://canvas.example.edu' }, 'credentials[1].baseUrl: must use https'],
    ['credentials in the URL', { baseUrl: 'https://u:p@canvas.example.edu' }, 'must not contain credentials'],
    ['a query in the URL', { baseUrl: 'https://canvas.example.edu/?a=1' }, 'must not contain a query'],
    ['an unknown credential field', { secret: 'x' }, 'credentials[1].secret: unknown field'],
    [
      'an unknown parameter',
      { fixedParams: { scope: 'x' } },
      'credentials[1].fixedParams.scope: unknown field',
    ],
    [
      'a bad workflow',
      { fixedParams: { workflows: ['UI!'] } },
      'credentials[1].fixedParams.workflows: invalid workflow',
    ],
    [
      'a bad context type',
      { fixedParams: { contextType: 'Group' } },
      'credentials[1].fixedParams.contextType:',
    ],
    [
      'both context id and uuid',
      { fixedParams: { contextId: '1', contextUuid: 'abc' } },
      'credentials[1].fixedParams: give contextId or contextUuid',
    ],
    [
      'a caller rule on a fixed parameter',
      { callerParams: { workflows: '*' } },
      'credentials[1].callerParams.workflows: is fixed by fixedParams',
    ],
    [
      'an empty allowed list',
      { callerParams: { contextId: [] } },
      'credentials[1].callerParams.contextId: must be "*"',
    ],
    [
      'a bad allowed value',
      { callerParams: { contextType: ['Course', 'Group'] } },
      'credentials[1].callerParams.contextType[1]:',
    ],
    ['a lifetime of zero', { lifetimeSeconds: 0 }, 'credentials[1].lifetimeSeconds: must be an integer'],
  ])('names the field of %s', (_name, patch, message) => {
    expect(problem(withCredential(1, patch))).toContain(message);
  });

  it('accepts plain http to a loopback host (local mode)', () => {
    for (const baseUrl of ['http://127.0.0.1:8788', 'http://localhost:9000', 'http://[::1]:8080']) {
      expect(parseBrokerConfig(withCredential(0, { baseUrl })).credentials[0]!.baseUrl).toBe(baseUrl);
    }
  });

  it('rejects parameters on kinds that take none', () => {
    expect(problem(withCredential(0, { fixedParams: { workflows: ['ui'] } }))).toContain(
      'credentials[0].fixedParams: kind identity-service takes no parameters',
    );
    expect(problem(withCredential(0, { callerParams: { contextId: '*' } }))).toContain(
      'credentials[0].callerParams: kind identity-service takes no parameters',
    );
  });

  const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype'];

  it.each(PROTOTYPE_NAMES)('refuses the prototype name %s as a context type, fixed or allowed', (name) => {
    expect(problem(withCredential(1, { fixedParams: { contextType: name, contextId: '1' } }))).toContain(
      'credentials[1].fixedParams.contextType: must be Course, User or Account',
    );
    expect(problem(withCredential(1, { callerParams: { contextType: [name], contextId: '*' } }))).toContain(
      'credentials[1].callerParams.contextType[0]: must be Course, User or Account',
    );
  });

  it.each(PROTOTYPE_NAMES)('refuses %s as a field name at every level of the JSON', (name) => {
    const key = JSON.stringify(name);
    const config = JSON.stringify(valid());
    const variants = [
      config.replace('{"credentials"', `{${key}:{},"credentials"`),
      config.replace('"id":"dap"', `${key}:"x","id":"dap"`),
      config.replace('"contextId":"*"', `"contextId":"*",${key}:"*"`),
      config.replace('"workflows":', `${key}:"x","workflows":`),
      config.replace('"principals"', `${key}:true,"principals"`),
      config.replace('"callers"', `"settings":{${key}:1},"callers"`),
    ];
    for (const text of variants) {
      expect(text).not.toBe(config);
      expect(problem(JSON.parse(text))).toMatch(/unknown field/);
    }
  });

  it('refuses a fixed context half that no request can complete', () => {
    expect(
      problem(withCredential(1, { fixedParams: { contextType: 'Course' }, callerParams: {} })),
    ).toContain(
      'credentials[1].fixedParams.contextType: needs a fixed or caller-chosen contextId or contextUuid',
    );
    expect(problem(withCredential(1, { fixedParams: { contextId: '1' }, callerParams: {} }))).toContain(
      'credentials[1].fixedParams: a fixed context id needs a fixed or caller-chosen contextType',
    );
    const split = withCredential(1, {
      fixedParams: { contextType: 'Course' },
      callerParams: { contextId: '*' },
    });
    expect(parseBrokerConfig(split).credentials[1]!.fixedParams).toEqual({ contextType: 'Course' });
  });

  it('rejects duplicate credential ids', () => {
    expect(
      problem(withCredential(1, { id: 'dap', kind: 'identity-service', fixedParams: {}, callerParams: {} })),
    ).toBe('credentials[1].id: duplicate credential id "dap"');
  });

  it.each([
    'arn:aws:iam::111122223333:role/reporting',
    'arn:aws:iam::111122223333:role/reporting-*',
    'arn:aws:iam::111122223333:role/*',
    'arn:aws:iam::111122223333:user/alice',
    'arn:aws:iam::111122223333:user/ops/alice',
    'arn:aws-us-gov:iam::111122223333:role/reporting',
    'account:111122223333',
    'lambda-invoke',
  ])('accepts the principal %s', (principal) => {
    expect(parseBrokerConfig(withCaller({ principals: [principal] })).policy.rules[0]!.principals).toEqual([
      principal,
    ]);
  });

  it.each([
    [
      'a wildcard outside the role name',
      'arn:aws:iam::*:role/reporting',
      'callers[0].principals[0]: must be',
    ],
    ['a wildcard mid-name', 'arn:aws:iam::111122223333:role/rep*ing', 'callers[0].principals[0]: must be'],
    ['a short account', 'account:1111', 'callers[0].principals[0]: must be'],
    ['a role with a path', 'arn:aws:iam::111122223333:role/service/reporting', 'without its path'],
    ['an STS session ARN', 'arn:aws:sts::111122223333:assumed-role/reporting/s1', 'not an STS ARN'],
    ['the account root', 'arn:aws:iam::111122223333:root', 'callers[0].principals[0]: must be'],
    ['a bare wildcard', '*', 'callers[0].principals[0]: must be'],
  ])('rejects %s as a principal', (_name, principal, message) => {
    expect(problem(withCaller({ principals: [principal] }))).toContain(message);
  });

  it('rejects caller rules that reference unknown credentials, grant nothing, or are malformed', () => {
    expect(problem(withCaller({ credentials: ['dap', 'nope'] }))).toBe(
      'callers[0].credentials[1]: unknown credential "nope"',
    );
    expect(problem(withCaller({ principals: [] }))).toBe('callers[0].principals: must not be empty');
    expect(problem(withCaller({ credentials: [] }))).toBe('callers[0].credentials: must not be empty');
    expect(problem(withCaller({ admin: 'yes' }))).toContain('callers[0].admin: must be a boolean');
    expect(problem(withCaller({ role: 'x' }))).toContain('callers[0].role: unknown field');
  });

  it('grants every credential with "*" and admin only when asked', () => {
    const rule = parseBrokerConfig(withCaller({ credentials: ['*'], admin: true })).policy.rules[0]!;
    expect(rule).toMatchObject({ credentials: ['*'], admin: true });
  });

  it.each([
    ['an unknown setting', { leaseSeconds: 5 }, 'settings.leaseSeconds: unknown field'],
    ['a zero lease', { leaseMs: 0 }, 'settings.leaseMs: must be an integer number of milliseconds >= 1'],
    ['a fractional setting', { maxWaitMs: 1.5 }, 'settings.maxWaitMs: must be an integer'],
    ['a string setting', { maxWaitMs: '100' }, 'settings.maxWaitMs: must be an integer'],
    [
      'negative jitter',
      { refreshJitterMs: -1 },
      'settings.refreshJitterMs: must be an integer number of milliseconds >= 0',
    ],
    [
      'inverted polling bounds',
      { pollMinMs: 500, pollMaxMs: 100 },
      'settings.pollMinMs: must not exceed pollMaxMs',
    ],
    ['inverted backoff bounds', { backoffMinMs: 10_000, backoffCapMs: 5_000 }, 'settings.backoffMinMs:'],
  ])('rejects %s', (_name, settings, message) => {
    expect(problem({ ...valid(), settings })).toContain(message);
  });

  it('carries the field path in the error details for tooling', () => {
    try {
      parseBrokerConfig(withCredential(1, { kind: 'x' }));
    } catch (error) {
      expect((error as ConfigInvalidError).details).toEqual({ field: 'credentials[1].kind' });
    }
  });
});
