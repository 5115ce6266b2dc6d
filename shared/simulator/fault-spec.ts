import { type EndpointName, isEndpointName } from './endpoint-name.ts';

export type FaultKind = 'status' | 'rate-limit' | 'delay' | 'hang' | 'malformed';

/**
 * What `POST /__sim/faults` accepts. `times` limits how many requests the fault applies to
 * (unlimited when absent). `errorType` overrides the `type` of a DAP error body, e.g.
 * `AccountNotOnboarded` for a 403 (the default DAP 403 type is `AccountDisabled`).
 */
export interface FaultSpec {
  readonly endpoint: EndpointName | '*';
  readonly kind: FaultKind;
  readonly status?: number;
  readonly retryAfter?: number;
  readonly delayMs?: number;
  readonly times?: number;
  readonly errorType?: string;
}

const KINDS: readonly FaultKind[] = ['status', 'rate-limit', 'delay', 'hang', 'malformed'];
const KEYS = new Set(['endpoint', 'kind', 'status', 'retryAfter', 'delayMs', 'times', 'errorType']);
const MAX_DELAY_MS = 10 * 60 * 1000;

const isInteger = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

/** Validates a control body; a string is the reason it was refused. */
export const parseFaultSpec = (body: unknown): FaultSpec | string => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body must be a JSON object';
  const input = body as Record<string, unknown>;
  const unknown = Object.keys(input).find((key) => !KEYS.has(key));
  if (unknown !== undefined) return `unknown field ${JSON.stringify(unknown.slice(0, 40))}`;
  const { endpoint, kind, status, retryAfter, delayMs, times, errorType } = input;
  if (endpoint !== '*' && !isEndpointName(endpoint)) return 'endpoint must be an endpoint name or "*"';
  if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind)) {
    return `kind must be one of ${KINDS.join(', ')}`;
  }
  if (kind === 'status' && !isInteger(status, 400, 599)) return 'status must be an integer from 400 to 599';
  if (kind !== 'status' && status !== undefined) return 'status applies only to kind "status"';
  if (kind === 'delay' && !isInteger(delayMs, 0, MAX_DELAY_MS)) {
    return `delayMs must be an integer from 0 to ${MAX_DELAY_MS}`;
  }
  if (kind !== 'delay' && delayMs !== undefined) return 'delayMs applies only to kind "delay"';
  if (retryAfter !== undefined && !isInteger(retryAfter, 0, 86_400)) {
    return 'retryAfter must be an integer number of seconds from 0 to 86400';
  }
  if (times !== undefined && !isInteger(times, 1, 1_000_000)) return 'times must be a positive integer';
  if (
    errorType !== undefined &&
    (typeof errorType !== 'string' || !/^[A-Za-z][A-Za-z0-9]{0,63}$/.test(errorType))
  ) {
    return 'errorType must be an identifier such as AccountNotOnboarded';
  }
  return {
    endpoint,
    kind: kind as FaultKind,
    ...(status === undefined ? {} : { status: status as number }),
    ...(retryAfter === undefined ? {} : { retryAfter: retryAfter as number }),
    ...(delayMs === undefined ? {} : { delayMs: delayMs as number }),
    ...(times === undefined ? {} : { times: times as number }),
    ...(errorType === undefined ? {} : { errorType: errorType as string }),
  };
};
