import { ENV } from '../config/env-names.ts';
import { ConfigInvalidError } from '../core/errors.ts';
import {
  invalid,
  loadTelemetryEnvironment,
  required,
  type TelemetryEnvironment,
} from './environment-readers.ts';

/** What the rotation function needs from its environment, read and validated once at cold start. */
export interface RotationEnvironment extends TelemetryEnvironment {
  /** Origin plus any path prefix, without a trailing slash. */
  readonly canvasBaseUrl: string;
  readonly tokenExpiryDays: number;
  /** The rotation schedule's interval, when the construct says it. */
  readonly rotateEveryDays: number | undefined;
}

const MAX_EXPIRY_DAYS = 3650;

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

const wholeDays = (name: string, text: string): number => {
  const days = /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
  return days >= 1 && days <= MAX_EXPIRY_DAYS
    ? days
    : invalid(name, `must be a whole number of days from 1 to ${MAX_EXPIRY_DAYS}`);
};

const tokenExpiryDays = (env: NodeJS.ProcessEnv): number =>
  wholeDays(ENV.rotationTokenExpiryDays, required(env, ENV.rotationTokenExpiryDays));

const rotateEveryDays = (env: NodeJS.ProcessEnv): number | undefined => {
  const text = env[ENV.rotationRotateEveryDays]?.trim();
  return text === undefined || text === '' ? undefined : wholeDays(ENV.rotationRotateEveryDays, text);
};

/**
 * Reads the rotation function's environment once: a missing or malformed variable throws a
 * ConfigInvalidError naming it, so the function fails its init instead of a rotation.
 */
export const loadRotationEnvironment = (env: NodeJS.ProcessEnv): RotationEnvironment => ({
  ...loadTelemetryEnvironment(env),
  canvasBaseUrl: canvasBaseUrl(env),
  tokenExpiryDays: tokenExpiryDays(env),
  rotateEveryDays: rotateEveryDays(env),
});
