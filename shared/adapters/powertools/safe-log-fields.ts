import { isBrokerError } from '../../core/errors.ts';
import { safeText } from '../../core/safe-text.ts';
import type { LogFields } from '../../core/telemetry.ts';

// Keys every Powertools log line owns; a field with one of these names would be dropped with a
// warning line of its own, so it is renamed instead.
const RESERVED = new Set(['level', 'message', 'sampling_rate', 'service', 'timestamp']);
const MAX_DEPTH = 4;
const MAX_ITEMS = 50;
const MAX_STRING = 2_000;

/**
 * An error as a log can safely show it. A BrokerError's message and details are written to be
 * logged (ids, codes, fingerprints); any other error (a vendor SDK's, a TypeError) may quote a
 * response or a request, so its message is passed through `safeText` and its other properties
 * (response bodies, request options with headers) are dropped. Of the stack only the frames are
 * kept: they hold code locations, while its first line repeats the unfiltered message.
 */
const framesOf = (stack: string | undefined): string[] | undefined =>
  stack
    ?.split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('at '))
    .slice(0, 20);

const errorView = (error: Error, depth: number, stacks: boolean): Record<string, unknown> => {
  const cause = error.cause;
  const causeView =
    cause === undefined || depth >= MAX_DEPTH
      ? undefined
      : cause instanceof Error
        ? errorView(cause, depth + 1, stacks)
        : { type: typeof cause };
  const stack = stacks ? framesOf(error.stack) : undefined;
  if (isBrokerError(error)) {
    return {
      name: error.name,
      code: error.code,
      message: error.message,
      retryAfterSeconds: error.retryAfterSeconds,
      upstreamStatus: error.upstreamStatus,
      details: error.details,
      stack,
      cause: causeView,
    };
  }
  return {
    name: error.name,
    message: safeText(error.message, 300),
    stack,
    cause: causeView,
  };
};

const jsonSafe = (value: unknown, depth: number, stacks: boolean): unknown => {
  switch (typeof value) {
    case 'string':
      return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}...` : value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  if (value instanceof Error) return errorView(value, 0, stacks);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  // Depth also bounds cycles: a self-referencing object ends as '[...]', never a throw.
  if (depth >= MAX_DEPTH) return '[...]';
  if (Array.isArray(value))
    return value.slice(0, MAX_ITEMS).map((item) => jsonSafe(item, depth + 1, stacks) ?? null);
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return '[binary]';
  const out: Record<string, unknown> = {};
  let count = 0;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (count++ >= MAX_ITEMS) break;
    out[key] = jsonSafe(item, depth + 1, stacks);
  }
  return out;
};

export interface SafeLogOptions {
  /**
   * Keep errors' stack frames (default true). The loggers keep them at ERROR only: an expected
   * failure logged at WARN (a 4xx, a 503 with Retry-After) is one short line, not 2 KB of frames
   * that page an operator for nothing.
   */
  readonly stacks?: boolean;
}

/**
 * Log fields made safe for `JSON.stringify` and for Powertools: no throws on bigint or cycles,
 * errors reduced to what may be logged, binary never dumped, reserved keys renamed.
 */
export const safeLogFields = (
  fields: LogFields | undefined,
  options: SafeLogOptions = {},
): Record<string, unknown> | undefined => {
  if (fields === undefined) return undefined;
  const stacks = options.stacks ?? true;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    const safe = jsonSafe(value, 1, stacks);
    if (safe !== undefined) out[RESERVED.has(key) ? `field_${key}` : key] = safe;
  }
  return out;
};
