import { ENV } from '../config/env-names.ts';
import { type ParsedBrokerConfig, parseBrokerConfig } from '../config/parse-broker-config.ts';
import { isBrokerError } from '../core/errors.ts';
import {
  invalid,
  loadTelemetryEnvironment,
  matching,
  optional,
  required,
  type TelemetryEnvironment,
} from './environment-readers.ts';

/** Everything a broker function needs from its environment, read and validated once. */
export interface LambdaEnvironment extends TelemetryEnvironment {
  readonly tableName: string;
  readonly envelopeKeyArn: string;
  readonly config: ParsedBrokerConfig;
  /** The asymmetric KMS key that signs LTI assertions; present whenever an lti-advantage credential is. */
  readonly ltiSigningKeyArn?: string;
}

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const KMS_KEY_ARN =
  /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(?:key\/[A-Za-z0-9-]{1,128}|alias\/[A-Za-z0-9/_-]{1,250})$/;

const brokerConfig = (env: NodeJS.ProcessEnv): ParsedBrokerConfig => {
  const text = required(env, ENV.config);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The parser's message quotes the input; the variable name and the fact are enough.
    return invalid(ENV.config, 'is not valid JSON');
  }
  try {
    return parseBrokerConfig(json);
  } catch (error) {
    if (isBrokerError(error)) return invalid(ENV.config, error.message, error);
    throw error;
  }
};

/**
 * Reads the function's environment once, at cold start: a missing or malformed variable throws a
 * ConfigInvalidError naming it, so the function fails its init (visible on deploy) instead of
 * failing requests later. Nothing else in the code base reads `process.env`.
 */
export const loadLambdaEnvironment = (env: NodeJS.ProcessEnv): LambdaEnvironment => {
  const telemetry = loadTelemetryEnvironment(env);
  const config = brokerConfig(env);
  // An lti-advantage credential without a signing key could never mint: fail the init, not requests.
  const needsSigningKey = config.credentials.some((c) => c.kind === 'lti-advantage');
  const signingKey = optional(env, ENV.ltiSigningKeyArn, '', KMS_KEY_ARN, 'a KMS key or alias ARN');
  if (needsSigningKey && signingKey === '') {
    invalid(ENV.ltiSigningKeyArn, 'is required: a credential of kind lti-advantage is configured');
  }
  return {
    ...telemetry,
    tableName: matching(env, ENV.tableName, TABLE_NAME, 'a DynamoDB table name'),
    envelopeKeyArn: matching(env, ENV.envelopeKeyArn, KMS_KEY_ARN, 'a KMS key or alias ARN'),
    config,
    ...(signingKey === '' ? {} : { ltiSigningKeyArn: signingKey }),
  };
};

/** The API Gateway REST API and stage the token-api function belongs to. */
export interface ApiBinding {
  readonly apiId: string;
  readonly stage: string;
}

// API Gateway REST API ids are 10 lower-case letters and digits; stage names are word characters.
const API_ID = /^[a-z0-9]{10}$/;
const STAGE = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * token-api's binding to its own API, required: without it the function could not tell an API
 * Gateway event from a forged direct invocation, so it fails its init instead of trusting both.
 */
export const loadApiBinding = (env: NodeJS.ProcessEnv): ApiBinding => ({
  apiId: matching(env, ENV.apiId, API_ID, 'an API Gateway REST API id'),
  stage: matching(env, ENV.apiStage, STAGE, 'an API Gateway stage name'),
});
