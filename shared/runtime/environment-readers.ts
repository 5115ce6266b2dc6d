import type { TelemetryLogLevel } from '../adapters/powertools/make-powertools-telemetry.ts';
import { ENV, METRICS_NAMESPACE, SERVICE_NAME } from '../config/env-names.ts';
import { ConfigInvalidError } from '../core/errors.ts';

/**
 * The readers every function's environment loader is built from. Each failure is a
 * ConfigInvalidError naming the variable (never quoting its value), thrown at cold start so the
 * function fails its init, visible on deploy, instead of failing requests later.
 */
export const invalid = (name: string, problem: string, cause?: unknown): never => {
  throw new ConfigInvalidError(`${name}: ${problem}`, { details: { variable: name }, cause });
};

export const required = (env: NodeJS.ProcessEnv, name: string): string => {
  const value = env[name];
  return value === undefined || value.trim() === '' ? invalid(name, 'is not set') : value.trim();
};

export const matching = (env: NodeJS.ProcessEnv, name: string, pattern: RegExp, what: string): string => {
  const value = required(env, name);
  return pattern.test(value) ? value : invalid(name, `must be ${what}`);
};

export const optional = (
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: string,
  pattern: RegExp,
  what: string,
): string => {
  const value = env[name];
  if (value === undefined || value.trim() === '') return fallback;
  return pattern.test(value.trim()) ? value.trim() : invalid(name, `must be ${what}`);
};

/** What every function reads the same way: its region and how it logs and emits metrics. */
export interface TelemetryEnvironment {
  readonly region: string;
  readonly serviceName: string;
  readonly metricsNamespace: string;
  readonly logLevel: TelemetryLogLevel;
}

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
const SIMPLE_NAME = /^[A-Za-z0-9_./#:-]{1,255}$/;
const LOG_LEVELS: readonly TelemetryLogLevel[] = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

export const loadTelemetryEnvironment = (env: NodeJS.ProcessEnv): TelemetryEnvironment => {
  const logLevel = optional(env, ENV.logLevel, 'INFO', /^(?:debug|info|warn|error)$/i, LOG_LEVELS.join(', '));
  return {
    region: matching(env, 'AWS_REGION', REGION, 'an AWS region such as us-east-1'),
    serviceName: optional(env, ENV.serviceName, SERVICE_NAME, SIMPLE_NAME, 'a simple name'),
    metricsNamespace: optional(env, ENV.metricsNamespace, METRICS_NAMESPACE, SIMPLE_NAME, 'a simple name'),
    logLevel: logLevel.toUpperCase() as TelemetryLogLevel,
  };
};
