import type { TelemetryLogLevel } from '../adapters/powertools/make-powertools-telemetry.ts';
import { ENV, METRICS_NAMESPACE, SERVICE_NAME } from '../config/env-names.ts';
import { ConfigInvalidError } from '../core/errors.ts';

/** What the rotation function needs from its environment, read and validated once at cold start. */
export interface RotationEnvironment {
  readonly region: string;
  /** Origin plus any path prefix, without a trailing slash. */
  readonly canvasBaseUrl: string;
  readonly tokenExpiryDays: number;
  /** The rotation schedule's interval, when the construct says it. */
  readonly rotateEveryDays: number | undefined;
  readonly serviceName: string;
  readonly metricsNamespace: string;
  readonly logLevel: TelemetryLogLevel;
}

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
const SIMPLE_NAME = /^[A-Za-z0-9_./#:-]{1,255}$/;
const LOG_LEVEL = /^(?:debug|info|warn|error)$/i;
const MAX_EXPIRY_DAYS = 3650;

const invalid = (name: string, problem: string): never => {
  throw new ConfigInvalidError(`${name}: ${problem}`, { details: { variable: name } });
};

const required = (env: NodeJS.ProcessEnv, name: string): string => {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? invalid(name, 'is not set') : value;
};

const isLoopback = (hostname: string): boolean =>
  hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);

const canvasBaseUrl = (env: NodeJS.ProcessEnv): string => {
  const name = ENV.canvasBaseUrl;
  let url: URL;
  try {
    url = new URL(required(env, name));
  } catch (error) {
    if (error instanceof ConfigInvalidError) throw error;
    return invalid(name, 'must be an absolute https URL');
  }
  // The rotation sends the broker's long-lived Canvas token: never in the clear, except to a
  // simulator on loopback.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    return invalid(name, 'must use https (http is allowed only for loopback hosts)');
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    return invalid(name, 'must not contain credentials, a query or a fragment');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
};

const tokenExpiryDays = (env: NodeJS.ProcessEnv): number => {
  const name = ENV.rotationTokenExpiryDays;
  const text = required(env, name);
  const days = /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
  return days >= 1 && days <= MAX_EXPIRY_DAYS
    ? days
    : invalid(name, `must be a whole number of days from 1 to ${MAX_EXPIRY_DAYS}`);
};

const rotateEveryDays = (env: NodeJS.ProcessEnv): number | undefined => {
  const name = ENV.rotationRotateEveryDays;
  const text = env[name]?.trim();
  if (text === undefined || text === '') return undefined;
  const days = /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
  return days >= 1 && days <= MAX_EXPIRY_DAYS
    ? days
    : invalid(name, `must be a whole number of days from 1 to ${MAX_EXPIRY_DAYS}`);
};

/**
 * Reads the rotation function's environment once: a missing or malformed variable throws a
 * ConfigInvalidError naming it, so the function fails its init instead of a rotation.
 */
export const loadRotationEnvironment = (env: NodeJS.ProcessEnv): RotationEnvironment => {
  const region = required(env, 'AWS_REGION');
  if (!REGION.test(region)) invalid('AWS_REGION', 'must be an AWS region such as us-east-1');
  const serviceName = env[ENV.serviceName]?.trim() || SERVICE_NAME;
  if (!SIMPLE_NAME.test(serviceName)) invalid(ENV.serviceName, 'must be a simple name');
  const logLevel = env[ENV.logLevel]?.trim() || 'INFO';
  if (!LOG_LEVEL.test(logLevel)) invalid(ENV.logLevel, 'must be one of DEBUG, INFO, WARN, ERROR');
  return {
    region,
    canvasBaseUrl: canvasBaseUrl(env),
    tokenExpiryDays: tokenExpiryDays(env),
    rotateEveryDays: rotateEveryDays(env),
    serviceName,
    metricsNamespace: env[ENV.metricsNamespace]?.trim() || METRICS_NAMESPACE,
    logLevel: logLevel.toUpperCase() as TelemetryLogLevel,
  };
};
