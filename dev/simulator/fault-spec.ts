import { type FaultTarget, isFaultTarget } from './endpoint-name.ts';

/**
 * - `status`, `rate-limit`, `malformed`: an error answer instead of the handler's.
 * - `delay`: waits `delayMs` BEFORE the handler runs (nothing is minted until then).
 * - `late`: runs the handler (the mint counts) and sends its answer `delayMs` later.
 * - `hang`: never answers.
 * - `reset`: the connection is reset before the request reaches Canvas (a keep-alive socket
 *   the server side closed): no answer, not counted, nothing minted.
 * - `truncated`: runs the handler (the mint counts), then sends the headers and only half of the
 *   body it announced, and closes the connection.
 * - `proxy-502`: the HTML 502 page a load balancer in front of Canvas sends (text/html).
 */
export type FaultKind =
  | 'status'
  | 'rate-limit'
  | 'delay'
  | 'late'
  | 'hang'
  | 'malformed'
  | 'reset'
  | 'truncated'
  | 'proxy-502';

/**
 * What `POST /__sim/faults` accepts. `endpoint` is a group (`tokens`), a single route
 * (`tokens-delete`, `users-show`, ...) or `*`. `times` limits how many requests the fault
 * applies to (unlimited when absent). `errorType` overrides the `type` of a DAP error body, e.g.
 * `AccountNotOnboarded` for a 403 (the default DAP 403 type is `AccountDisabled`).
 * `retryAfterFormat: "http-date"` sends `Retry-After` as an HTTP date (RFC 9110 §10.2.3), the
 * form proxies and some gateways use, instead of delta seconds.
 */
export interface FaultSpec {
  readonly endpoint: FaultTarget | '*';
  readonly kind: FaultKind;
  readonly status?: number;
  readonly retryAfter?: number;
  readonly retryAfterFormat?: 'seconds' | 'http-date';
  readonly delayMs?: number;
  readonly times?: number;
  readonly errorType?: string;
}

const KINDS: readonly FaultKind[] = [
  'status',
  'rate-limit',
  'delay',
  'late',
  'hang',
  'malformed',
  'reset',
  'truncated',
  'proxy-502',
];
const KEYS = new Set([
  'endpoint',
  'kind',
  'status',
  'retryAfter',
  'retryAfterFormat',
  'delayMs',
  'times',
  'errorType',
]);
const MAX_DELAY_MS = 10 * 60 * 1000;
const TIMED: ReadonlySet<string> = new Set(['delay', 'late']);

const isInteger = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

/** Validates a control body; a string is the reason it was refused. */
export const parseFaultSpec = (body: unknown): FaultSpec | string => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body must be a JSON object';
  const input = body as Record<string, unknown>;
  const unknown = Object.keys(input).find((key) => !KEYS.has(key));
  if (unknown !== undefined) return `unknown field ${JSON.stringify(unknown.slice(0, 40))}`;
  const { endpoint, kind, status, retryAfter, retryAfterFormat, delayMs, times, errorType } = input;
  if (endpoint !== '*' && !isFaultTarget(endpoint))
    return 'endpoint must be an endpoint or route name, or "*"';
  if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind)) {
    return `kind must be one of ${KINDS.join(', ')}`;
  }
  if (kind === 'status' && !isInteger(status, 400, 599)) return 'status must be an integer from 400 to 599';
  if (kind !== 'status' && status !== undefined) return 'status applies only to kind "status"';
  if (TIMED.has(kind) && !isInteger(delayMs, 0, MAX_DELAY_MS)) {
    return `delayMs must be an integer from 0 to ${MAX_DELAY_MS}`;
  }
  if (!TIMED.has(kind) && delayMs !== undefined) return 'delayMs applies only to kinds "delay" and "late"';
  if (retryAfter !== undefined && !isInteger(retryAfter, 0, 86_400)) {
    return 'retryAfter must be an integer number of seconds from 0 to 86400';
  }
  if (retryAfterFormat !== undefined && retryAfterFormat !== 'seconds' && retryAfterFormat !== 'http-date') {
    return 'retryAfterFormat must be "seconds" or "http-date"';
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
    ...(retryAfterFormat === undefined ? {} : { retryAfterFormat }),
    ...(delayMs === undefined ? {} : { delayMs: delayMs as number }),
    ...(times === undefined ? {} : { times: times as number }),
    ...(errorType === undefined ? {} : { errorType: errorType as string }),
  };
};
