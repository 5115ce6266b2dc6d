import { inspect } from 'node:util';
import {
  DecryptionFailure,
  GetSecretValueCommand,
  InternalServiceError,
  InvalidParameterException,
  InvalidRequestException,
  LimitExceededException,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { makeSecretsManagerSecretSource } from '../../../shared/adapters/aws/secrets-manager-secret-source.ts';
import {
  BrokerError,
  SecretAccessDeniedError,
  SecretMalformedError,
  SecretNotFoundError,
  SecretThrottledError,
  SecretUnavailableError,
} from '../../../shared/core/errors.ts';
import { findCanaryLeaks, makeCanary } from '../../support/canary.ts';

const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:canvas/prod-AbCdEf';
const sm = mockClient(SecretsManagerClient);
const source = makeSecretsManagerSecretSource({ client: new SecretsManagerClient({ region: 'us-east-1' }) });

// Generated per run (and registered with the suite-wide leak scan); no real value is committed.
const canary = () => makeCanary('secret');

const rejectionOf = async (promise: Promise<unknown>): Promise<BrokerError> => {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerError);
    return error as BrokerError;
  }
  throw new Error('expected the read to fail');
};

/** Everything a logger or an error body could show of an error, including its cause chain. */
const expectNoLeak = (error: BrokerError, ...secrets: string[]) => {
  const views = [error.message, String(error), JSON.stringify(error), inspect(error, { depth: 10 })];
  expect(findCanaryLeaks(views, secrets)).toEqual([]);
};

const serviceError = (name: string, fault: 'client' | 'server' = 'client') =>
  new SecretsManagerServiceException({ name, $fault: fault, $metadata: {}, message: `${name} happened` });

beforeEach(() => sm.reset());
afterAll(() => sm.restore());

describe('Secrets Manager secret source', () => {
  it('reads the fields and version of the current secret value', async () => {
    sm.on(GetSecretValueCommand).resolves({
      VersionId: 'v-1',
      SecretString: JSON.stringify({ clientId: '170000000000123', clientSecret: 'shh' }),
    });
    await expect(source.get(SECRET_ID)).resolves.toEqual({
      versionId: 'v-1',
      fields: { clientId: '170000000000123', clientSecret: 'shh' },
    });
  });

  it('only ever asks for the AWSCURRENT stage, never a pending rotation value', async () => {
    sm.on(GetSecretValueCommand).resolves({ VersionId: 'v-1', SecretString: '{"accessToken":"t"}' });
    await source.get(SECRET_ID);
    await source.get(SECRET_ID, { forceRefresh: true });
    const calls = sm.commandCalls(GetSecretValueCommand);
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call.args[0].input).toEqual({ SecretId: SECRET_ID, VersionStage: 'AWSCURRENT' });
    }
  });

  it('stringifies numeric fields', async () => {
    sm.on(GetSecretValueCommand).resolves({ VersionId: 'v-1', SecretString: '{"clientId":170000000000123}' });
    await expect(source.get(SECRET_ID)).resolves.toMatchObject({ fields: { clientId: '170000000000123' } });
  });

  it('refuses a number too large to have been read exactly', async () => {
    sm.on(GetSecretValueCommand).resolves({
      VersionId: 'v-1',
      SecretString: '{"clientId":17000000000000012345}',
    });
    const error = await rejectionOf(source.get(SECRET_ID));
    expect(error).toBeInstanceOf(SecretMalformedError);
    expect(error.message).toContain('clientId');
  });

  it('keeps a field named __proto__ as data without touching the prototype', async () => {
    sm.on(GetSecretValueCommand).resolves({ VersionId: 'v-1', SecretString: '{"__proto__":"x","a":"b"}' });
    const { fields } = await source.get(SECRET_ID);
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect(Object.hasOwn(fields, '__proto__')).toBe(true);
  });

  it('passes the caller signal to the SDK and reports the caller abort reason, not an AWS failure', async () => {
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    sm.on(GetSecretValueCommand).callsFake(() => {
      controller.abort(reason);
      throw Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    });
    await expect(source.get(SECRET_ID, { signal: controller.signal })).rejects.toBe(reason);
    // send(command, options): the mock's typings only list the command.
    const [, sendOptions] = sm.call(0).args as unknown[];
    expect(sendOptions).toMatchObject({ abortSignal: controller.signal });
  });

  describe('refuses a malformed value, naming the secret and at most a field name', () => {
    const cases: Array<[string, (secret: string) => Record<string, unknown>, RegExp]> = [
      ['binary secrets', (s) => ({ SecretBinary: Buffer.from(s) }), /binary/],
      ['no value at all', () => ({}), /no value/],
      ['an empty string', () => ({ SecretString: '   ' }), /empty/],
      ['text that is not JSON', (s) => ({ SecretString: `{"clientSecret": ${s}}` }), /not valid JSON/],
      ['a JSON array', (s) => ({ SecretString: JSON.stringify([s]) }), /not a JSON object/],
      ['a JSON string', (s) => ({ SecretString: JSON.stringify(s) }), /not a JSON object/],
      ['a JSON null', () => ({ SecretString: 'null' }), /not a JSON object/],
      [
        'a nested object',
        (s) => ({ SecretString: JSON.stringify({ clientSecret: { v: s } }) }),
        /"clientSecret"/,
      ],
      ['a boolean field', () => ({ SecretString: JSON.stringify({ enabled: true }) }), /"enabled"/],
      ['a null field', () => ({ SecretString: JSON.stringify({ clientSecret: null }) }), /"clientSecret"/],
    ];
    for (const [label, payload, why] of cases) {
      it(`such as ${label}`, async () => {
        const secret = canary();
        sm.on(GetSecretValueCommand).resolves({ VersionId: 'v-1', ...payload(secret) });
        const error = await rejectionOf(source.get(SECRET_ID));
        expect(error).toBeInstanceOf(SecretMalformedError);
        expect(error.code).toBe('SECRET_MALFORMED');
        expect(error.message).toContain(SECRET_ID);
        expect(error.message).toMatch(why);
        expectNoLeak(error, secret);
      });
    }
  });

  it('refuses a value without a version id', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"accessToken":"t"}' });
    await expect(source.get(SECRET_ID)).rejects.toBeInstanceOf(SecretMalformedError);
  });

  describe('translates SDK errors, keeping the cause', () => {
    const cases: Array<[string, () => unknown, new (...args: never[]) => BrokerError, boolean]> = [
      [
        'ResourceNotFoundException',
        () => new ResourceNotFoundException({ $metadata: {}, message: 'not found' }),
        SecretNotFoundError,
        false,
      ],
      [
        'InvalidRequestException for a secret marked for deletion',
        () =>
          new InvalidRequestException({
            $metadata: {},
            message: "You can't perform this operation on the secret because it was marked for deletion.",
          }),
        SecretNotFoundError,
        false,
      ],
      [
        'any other InvalidRequestException',
        () => new InvalidRequestException({ $metadata: {}, message: 'something else' }),
        SecretUnavailableError,
        true,
      ],
      ['AccessDeniedException', () => serviceError('AccessDeniedException'), SecretAccessDeniedError, false],
      [
        'DecryptionFailure',
        () => new DecryptionFailure({ $metadata: {}, message: 'kms says no' }),
        SecretAccessDeniedError,
        false,
      ],
      ['ThrottlingException', () => serviceError('ThrottlingException'), SecretThrottledError, true],
      [
        'TooManyRequestsException',
        () => serviceError('TooManyRequestsException'),
        SecretThrottledError,
        true,
      ],
      [
        'LimitExceededException',
        () => new LimitExceededException({ $metadata: {}, message: 'slow down' }),
        SecretThrottledError,
        true,
      ],
      [
        'InternalServiceError',
        () => new InternalServiceError({ $metadata: {}, message: 'oops' }),
        SecretUnavailableError,
        true,
      ],
      [
        'InvalidParameterException',
        () => new InvalidParameterException({ $metadata: {}, message: 'bad' }),
        SecretUnavailableError,
        true,
      ],
      [
        'a network error',
        () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
        SecretUnavailableError,
        true,
      ],
      [
        'a request timeout',
        () => Object.assign(new Error('request timed out'), { name: 'TimeoutError' }),
        SecretUnavailableError,
        true,
      ],
      ['a non-error value', () => 'weird', SecretUnavailableError, true],
    ];
    for (const [label, make, expected, retryable] of cases) {
      it(`maps ${label} to ${expected.name}`, async () => {
        const thrown = make();
        sm.on(GetSecretValueCommand).rejects(thrown as Error);
        const error = await rejectionOf(source.get(SECRET_ID));
        expect(error).toBeInstanceOf(expected);
        expect(error.retryable).toBe(retryable);
        expect(error.message).toContain(SECRET_ID);
        expect(error.details).toMatchObject({ secretId: SECRET_ID });
        if (typeof thrown === 'object') expect(error.cause).toBe(thrown);
      });
    }
  });

  it('withholds a response body that failed to parse, since it is the secret value', async () => {
    const secret = canary();
    const body = `{"SecretString":"{\\"clientSecret\\":\\"${secret}\\"}", broken`;
    const parseError = Object.assign(
      new SyntaxError(
        `Unexpected token in JSON: ${body}\n  Deserialization error: to see the raw response...`,
      ),
      { $metadata: { httpStatusCode: 200, requestId: 'req-1' }, $response: { body } },
    );
    Object.defineProperty(parseError, '$responseBodyText', { value: body });
    sm.on(GetSecretValueCommand).rejects(parseError);
    const error = await rejectionOf(source.get(SECRET_ID));
    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.cause).not.toBe(parseError);
    expect((error.cause as { $metadata?: unknown }).$metadata).toEqual({
      httpStatusCode: 200,
      requestId: 'req-1',
    });
    expectNoLeak(error, secret);
  });

  it('never puts the secret value in an error message', async () => {
    const secret = canary();
    sm.on(GetSecretValueCommand).resolves({
      VersionId: 'v-1',
      SecretString: JSON.stringify({ clientId: 'id', clientSecret: secret, extra: [secret] }),
    });
    const error = await rejectionOf(source.get(SECRET_ID));
    expect(error.message).toContain('"extra"');
    expectNoLeak(error, secret);
  });
});
