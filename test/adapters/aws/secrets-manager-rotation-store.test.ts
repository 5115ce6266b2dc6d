import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import {
  DecryptionFailure,
  DescribeSecretCommand,
  EncryptionFailure,
  GetSecretValueCommand,
  InternalServiceError,
  InvalidParameterException,
  InvalidRequestException,
  LimitExceededException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { makeSecretsManagerRotationStore } from '../../../shared/adapters/aws/secrets-manager-rotation-store.ts';
import { BrokerError, type ErrorCode } from '../../../shared/core/errors.ts';

const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:canvas/broker-AbCdEf';
const TOKEN = 'c0ffee00-1111-4222-8333-444455556666';
const sm = mockClient(SecretsManagerClient);
const store = makeSecretsManagerRotationStore({ client: new SecretsManagerClient({ region: 'us-east-1' }) });

// Generated per run, so a leak check cannot pass by accident.
const canary = () => `canary-${randomUUID()}`;

const rejectionOf = async (promise: Promise<unknown>): Promise<BrokerError> => {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerError);
    return error as BrokerError;
  }
  throw new Error('expected the call to fail');
};

const expectNoLeak = (error: BrokerError, secret: string) => {
  for (const view of [error.message, String(error), JSON.stringify(error), inspect(error, { depth: 10 })]) {
    expect(view).not.toContain(secret);
  }
};

const serviceError = (name: string) =>
  new SecretsManagerServiceException({ name, $fault: 'client', $metadata: {}, message: `${name} happened` });

beforeEach(() => sm.reset());
afterAll(() => sm.restore());

describe('Secrets Manager rotation store', () => {
  describe('describe', () => {
    it('reads the ARN, whether rotation is on, and the labels of every version', async () => {
      sm.on(DescribeSecretCommand).resolves({
        ARN: SECRET_ID,
        RotationEnabled: true,
        VersionIdsToStages: { 'v-1': ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] },
      });
      await expect(store.describe('canvas/broker')).resolves.toEqual({
        arn: SECRET_ID,
        rotationEnabled: true,
        versions: { 'v-1': ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] },
      });
      expect(sm.commandCalls(DescribeSecretCommand)[0]?.args[0].input).toEqual({ SecretId: 'canvas/broker' });
    });

    it('treats a secret without rotation settings or versions as not enabled and empty', async () => {
      sm.on(DescribeSecretCommand).resolves({});
      await expect(store.describe(SECRET_ID)).resolves.toEqual({
        arn: SECRET_ID,
        rotationEnabled: false,
        versions: {},
      });
    });
  });

  describe('getValue', () => {
    it('asks for one version by id and stage, and returns its value and labels', async () => {
      sm.on(GetSecretValueCommand).resolves({
        VersionId: TOKEN,
        VersionStages: ['AWSPENDING'],
        SecretString: '{"accessToken":"t"}',
      });
      await expect(store.getValue(SECRET_ID, { versionId: TOKEN, stage: 'AWSPENDING' })).resolves.toEqual({
        versionId: TOKEN,
        stages: ['AWSPENDING'],
        secretString: '{"accessToken":"t"}',
      });
      expect(sm.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
        SecretId: SECRET_ID,
        VersionId: TOKEN,
        VersionStage: 'AWSPENDING',
      });
    });

    it('asks by stage alone when no version id is given', async () => {
      sm.on(GetSecretValueCommand).resolves({ VersionId: 'v-1', SecretString: '{}' });
      await expect(store.getValue(SECRET_ID, { stage: 'AWSCURRENT' })).resolves.toMatchObject({
        versionId: 'v-1',
        stages: ['AWSCURRENT'],
      });
      expect(sm.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
        SecretId: SECRET_ID,
        VersionStage: 'AWSCURRENT',
      });
    });

    it('answers undefined for a version with no value, like the empty AWSPENDING one RotateSecret makes', async () => {
      sm.on(GetSecretValueCommand).rejects(
        new ResourceNotFoundException({
          $metadata: {},
          message: "Secrets Manager can't find the specified secret value",
        }),
      );
      await expect(
        store.getValue(SECRET_ID, { versionId: TOKEN, stage: 'AWSPENDING' }),
      ).resolves.toBeUndefined();
    });

    it('refuses a binary value, naming the secret and never the value', async () => {
      const secret = canary();
      sm.on(GetSecretValueCommand).resolves({ VersionId: 'v-1', SecretBinary: Buffer.from(secret) });
      const error = await rejectionOf(store.getValue(SECRET_ID, { stage: 'AWSCURRENT' }));
      expect(error.code).toBe('SECRET_MALFORMED');
      expect(error.message).toContain(SECRET_ID);
      expectNoLeak(error, secret);
    });

    it.each<[string, () => Error, ErrorCode]>([
      ['AccessDeniedException', () => serviceError('AccessDeniedException'), 'SECRET_ACCESS_DENIED'],
      [
        'DecryptionFailure',
        () => new DecryptionFailure({ $metadata: {}, message: 'kms' }),
        'SECRET_ACCESS_DENIED',
      ],
      ['ThrottlingException', () => serviceError('ThrottlingException'), 'SECRET_THROTTLED'],
      [
        'InternalServiceError',
        () => new InternalServiceError({ $metadata: {}, message: 'oops' }),
        'SECRET_UNAVAILABLE',
      ],
    ])('translates %s', async (_name, make, code) => {
      sm.on(GetSecretValueCommand).rejects(make());
      expect((await rejectionOf(store.getValue(SECRET_ID, { stage: 'AWSCURRENT' }))).code).toBe(code);
    });

    it('withholds a response body that failed to parse, since it is the secret value', async () => {
      const secret = canary();
      const body = `{"SecretString":"{\\"accessToken\\":\\"${secret}\\"}", broken`;
      const parseError = Object.assign(new SyntaxError(`Unexpected token in JSON: ${body}`), {
        $metadata: { httpStatusCode: 200 },
        $response: { body },
      });
      sm.on(GetSecretValueCommand).rejects(parseError);
      const error = await rejectionOf(store.getValue(SECRET_ID, { stage: 'AWSPENDING', versionId: TOKEN }));
      expect(error.code).toBe('SECRET_UNAVAILABLE');
      expectNoLeak(error, secret);
    });
  });

  describe('putPending', () => {
    it('stores the value under the ClientRequestToken, labelled AWSPENDING', async () => {
      sm.on(PutSecretValueCommand).resolves({ VersionId: TOKEN, VersionStages: ['AWSPENDING'] });
      await expect(store.putPending(SECRET_ID, TOKEN, '{"accessToken":"n"}')).resolves.toBe('stored');
      expect(sm.commandCalls(PutSecretValueCommand)[0]?.args[0].input).toEqual({
        SecretId: SECRET_ID,
        ClientRequestToken: TOKEN,
        SecretString: '{"accessToken":"n"}',
        VersionStages: ['AWSPENDING'],
      });
    });

    it('reports a version that already holds a different value instead of failing', async () => {
      sm.on(PutSecretValueCommand).rejects(
        new ResourceExistsException({
          $metadata: {},
          message: 'A resource with the ID you requested already exists.',
        }),
      );
      await expect(store.putPending(SECRET_ID, TOKEN, '{}')).resolves.toBe('version-exists');
    });

    it.each<[string, () => Error, ErrorCode, boolean]>([
      [
        'ResourceNotFoundException',
        () => new ResourceNotFoundException({ $metadata: {}, message: 'x' }),
        'SECRET_NOT_FOUND',
        false,
      ],
      ['AccessDeniedException', () => serviceError('AccessDeniedException'), 'SECRET_ACCESS_DENIED', false],
      [
        'EncryptionFailure',
        () => new EncryptionFailure({ $metadata: {}, message: 'kms' }),
        'SECRET_ACCESS_DENIED',
        false,
      ],
      [
        'LimitExceededException',
        () => new LimitExceededException({ $metadata: {}, message: 'x' }),
        'SECRET_THROTTLED',
        true,
      ],
      [
        'InvalidRequestException',
        () => new InvalidRequestException({ $metadata: {}, message: 'x' }),
        'BAD_REQUEST',
        false,
      ],
      [
        'InternalServiceError',
        () => new InternalServiceError({ $metadata: {}, message: 'x' }),
        'SECRET_UNAVAILABLE',
        true,
      ],
    ])('translates %s without quoting the value', async (_name, make, code, retryable) => {
      const secret = canary();
      const thrown = make();
      sm.on(PutSecretValueCommand).rejects(thrown);
      const error = await rejectionOf(
        store.putPending(SECRET_ID, TOKEN, JSON.stringify({ accessToken: secret })),
      );
      expect(error.code).toBe(code);
      expect(error.retryable).toBe(retryable);
      expect(error.message).toContain('PutSecretValue');
      expect(error.details).toMatchObject({ secretId: SECRET_ID, operation: 'PutSecretValue' });
      expect(error.cause).toBe(thrown);
      expectNoLeak(error, secret);
    });
  });

  describe('promote', () => {
    it('moves AWSCURRENT from the old version to the new one', async () => {
      sm.on(UpdateSecretVersionStageCommand).resolves({});
      await store.promote(SECRET_ID, TOKEN, 'v-1');
      expect(sm.commandCalls(UpdateSecretVersionStageCommand)[0]?.args[0].input).toEqual({
        SecretId: SECRET_ID,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: TOKEN,
        RemoveFromVersionId: 'v-1',
      });
    });

    it.each<[string, () => Error, ErrorCode]>([
      [
        'InvalidParameterException',
        () => new InvalidParameterException({ $metadata: {}, message: 'x' }),
        'BAD_REQUEST',
      ],
      [
        'InvalidRequestException for a secret marked for deletion',
        () => new InvalidRequestException({ $metadata: {}, message: 'it was marked for deletion' }),
        'SECRET_NOT_FOUND',
      ],
      ['AccessDeniedException', () => serviceError('AccessDeniedException'), 'SECRET_ACCESS_DENIED'],
      [
        'a throttled error',
        () => Object.assign(serviceError('SlowDown'), { $retryable: { throttling: true } }),
        'SECRET_THROTTLED',
      ],
      [
        'a network error',
        () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
        'SECRET_UNAVAILABLE',
      ],
    ])('translates %s', async (_name, make, code) => {
      sm.on(UpdateSecretVersionStageCommand).rejects(make());
      const error = await rejectionOf(store.promote(SECRET_ID, TOKEN, 'v-1'));
      expect(error.code).toBe(code);
      expect(error.message).toContain('UpdateSecretVersionStage');
    });
  });

  it('passes the caller signal to the SDK and reports the caller abort reason, not an AWS failure', async () => {
    const controller = new AbortController();
    const reason = new Error('rotation gave up');
    sm.on(DescribeSecretCommand).callsFake(() => {
      controller.abort(reason);
      throw Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    });
    await expect(store.describe(SECRET_ID, controller.signal)).rejects.toBe(reason);
    const [, sendOptions] = sm.call(0).args as unknown[];
    expect(sendOptions).toMatchObject({ abortSignal: controller.signal });
  });
});
