import { ENV } from '../config/env-names.ts';
import {
  DEFAULT_JWKS_MAX_AGE_SECONDS,
  KMS_KEY_ONLY_ARN,
  MAX_JWKS_MAX_AGE_SECONDS,
  MAX_PREVIOUS_SIGNING_KEYS,
} from '../core/limits.ts';
import {
  invalid,
  loadTelemetryEnvironment,
  matching,
  type TelemetryEnvironment,
} from './environment-readers.ts';

/**
 * What the jwks function reads: key ARNs and a max-age, nothing else. It has no table, no config
 * and no secret, so its environment cannot leak one.
 */
export interface JwksEnvironment extends TelemetryEnvironment {
  /** The key that signs now: listed first. */
  readonly signingKeyArn: string;
  /** Keys of a rotation overlap, published after the current one, in the order given. */
  readonly previousSigningKeyArns: readonly string[];
  readonly maxAgeSeconds: number;
}

const WHOLE = /^\d{1,6}$/;

const previousKeys = (env: NodeJS.ProcessEnv, current: string): readonly string[] => {
  const name = ENV.ltiPreviousSigningKeyArns;
  const list = env[name]?.trim();
  if (list === undefined || list === '') return [];
  const arns = list.split(',').map((part) => part.trim());
  if (arns.some((arn) => !KMS_KEY_ONLY_ARN.test(arn))) invalid(name, 'must be comma-separated KMS key ARNs');
  if (arns.length > MAX_PREVIOUS_SIGNING_KEYS)
    invalid(name, `lists more than ${MAX_PREVIOUS_SIGNING_KEYS} keys`);
  // The current key listed again would only be dropped by the JWKS (same kid); saying so is clearer.
  if (arns.includes(current)) invalid(name, `must not list the current key (${ENV.ltiSigningKeyArn})`);
  return [...new Set(arns)];
};

const maxAge = (env: NodeJS.ProcessEnv): number => {
  const name = ENV.jwksMaxAgeSeconds;
  const text = env[name]?.trim();
  if (text === undefined || text === '') return DEFAULT_JWKS_MAX_AGE_SECONDS;
  const seconds = WHOLE.test(text) ? Number(text) : Number.NaN;
  return seconds <= MAX_JWKS_MAX_AGE_SECONDS
    ? seconds
    : invalid(name, `must be a whole number of seconds from 0 to ${MAX_JWKS_MAX_AGE_SECONDS}`);
};

/** Read once at cold start: a bad variable fails the init, naming the variable. */
export const loadJwksEnvironment = (env: NodeJS.ProcessEnv): JwksEnvironment => {
  const signingKeyArn = matching(env, ENV.ltiSigningKeyArn, KMS_KEY_ONLY_ARN, 'a KMS key ARN');
  return {
    ...loadTelemetryEnvironment(env),
    signingKeyArn,
    previousSigningKeyArns: previousKeys(env, signingKeyArn),
    maxAgeSeconds: maxAge(env),
  };
};
