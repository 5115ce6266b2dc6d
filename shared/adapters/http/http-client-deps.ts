import type { Clock } from '../../core/clock.ts';
import type { DateSample } from '../../core/clock-offset.ts';

/** What every Instructure HTTP client is built from. Time and transport are injected so tests control both. */
export interface HttpClientDeps {
  /** The Identity Service gateway or the Canvas host, e.g. `https://canvas.example.edu`. */
  readonly baseUrl: string;
  /** Defaults to the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** Anchors issue and expiry times; never used for the request deadline (that is wall time). */
  readonly clock: Clock;
  /** Deadline for the whole exchange, response body included. */
  readonly timeoutMs: number;
  /** Instructure rejects requests without one (contract section 0). */
  readonly userAgent: string;
  /**
   * Told the `Date` of every response with the clock around it, so the instance can measure its
   * clock offset (clock-offset.ts). Times come from `clock`: the instance's own.
   */
  readonly observeDate?: (sample: DateSample) => void;
  /** Cap on a response body; a bigger body is treated as malformed rather than buffered. */
  readonly maxBodyBytes?: number;
}

/** Token endpoints answer with a few hundred bytes; 64 KiB leaves room for any error page. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
