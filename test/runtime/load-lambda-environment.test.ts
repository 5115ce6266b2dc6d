import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../shared/core/errors.ts';
import { loadLambdaEnvironment } from '../../shared/runtime/load-lambda-environment.ts';

const CONFIG = {
  credentials: [
    {
      id: 'dap',
      kind: 'identity-service',
      secretId: 'dap-secret',
      baseUrl: 'https://api-gateway.instructure.com',
    },
  ],
  callers: [{ principals: ['lambda-invoke'], credentials: ['dap'] }],
  settings: { leaseMs: 20_000 },
};

const validEnv = (): NodeJS.ProcessEnv => ({
  AWS_REGION: 'us-east-1',
  BROKER_TABLE_NAME: 'broker-tokens',
  BROKER_ENVELOPE_KEY_ARN: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  BROKER_CONFIG: JSON.stringify(CONFIG),
});

const problem = (env: NodeJS.ProcessEnv): ConfigInvalidError => {
  try {
    loadLambdaEnvironment(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigInvalidError);
    return error as ConfigInvalidError;
  }
  throw new Error('expected a ConfigInvalidError');
};

describe('loadLambdaEnvironment', () => {
  it('reads and validates every variable once', () => {
    const env = loadLambdaEnvironment(validEnv());
    expect(env).toMatchObject({
      region: 'us-east-1',
      tableName: 'broker-tokens',
      envelopeKeyArn: validEnv().BROKER_ENVELOPE_KEY_ARN,
      serviceName: 'canvas-credential-broker',
      metricsNamespace: 'CanvasCredentialBroker',
      logLevel: 'INFO',
    });
    expect(env.config.credentials[0]!.id).toBe('dap');
    expect(env.config.settings.leaseMs).toBe(20_000);
  });

  it('takes the Powertools names and log level when set', () => {
    const env = loadLambdaEnvironment({
      ...validEnv(),
      POWERTOOLS_SERVICE_NAME: 'broker-prod',
      POWERTOOLS_METRICS_NAMESPACE: 'Broker/Prod',
      POWERTOOLS_LOG_LEVEL: 'debug',
    });
    expect(env).toMatchObject({
      serviceName: 'broker-prod',
      metricsNamespace: 'Broker/Prod',
      logLevel: 'DEBUG',
    });
  });

  it('accepts a KMS alias ARN', () => {
    const arn = 'arn:aws:kms:eu-west-1:111122223333:alias/broker-envelope';
    expect(loadLambdaEnvironment({ ...validEnv(), BROKER_ENVELOPE_KEY_ARN: arn }).envelopeKeyArn).toBe(arn);
  });

  it.each(['AWS_REGION', 'BROKER_TABLE_NAME', 'BROKER_ENVELOPE_KEY_ARN', 'BROKER_CONFIG'])(
    'names %s when it is missing or blank',
    (name) => {
      const missing = validEnv();
      delete missing[name];
      expect(problem(missing).message).toBe(`${name}: is not set`);
      expect(problem({ ...validEnv(), [name]: '  ' }).message).toBe(`${name}: is not set`);
      expect(problem(missing).details).toEqual({ variable: name });
    },
  );

  it.each([
    ['AWS_REGION', 'mars', 'AWS_REGION: must be an AWS region'],
    ['BROKER_TABLE_NAME', 'a b', 'BROKER_TABLE_NAME: must be a DynamoDB table name'],
    ['BROKER_ENVELOPE_KEY_ARN', 'alias/broker', 'BROKER_ENVELOPE_KEY_ARN: must be a KMS key or alias ARN'],
    [
      'BROKER_ENVELOPE_KEY_ARN',
      'arn:aws:s3:::bucket',
      'BROKER_ENVELOPE_KEY_ARN: must be a KMS key or alias ARN',
    ],
    ['POWERTOOLS_LOG_LEVEL', 'LOUD', 'POWERTOOLS_LOG_LEVEL: must be DEBUG, INFO, WARN, ERROR'],
    ['POWERTOOLS_SERVICE_NAME', 'has spaces', 'POWERTOOLS_SERVICE_NAME: must be a simple name'],
    ['BROKER_CONFIG', '{not json', 'BROKER_CONFIG: is not valid JSON'],
  ])('rejects %s=%j', (name, value, message) => {
    expect(problem({ ...validEnv(), [name]: value }).message).toContain(message);
  });

  it('prefixes config errors with the variable and keeps the field path', () => {
    const bad = { ...CONFIG, credentials: [{ ...CONFIG.credentials[0], kind: 'oauth' }] };
    expect(problem({ ...validEnv(), BROKER_CONFIG: JSON.stringify(bad) }).message).toBe(
      'BROKER_CONFIG: credentials[0].kind: must be one of identity-service, canvas-jwt, inst-access, lti-advantage',
    );
  });

  it('never quotes the config text in a JSON error', () => {
    const message = problem({
      ...validEnv(),
      BROKER_CONFIG: '{"credentials": [oops-secret-looking-text',
    }).message;
    expect(message).not.toContain('oops');
  });
});
