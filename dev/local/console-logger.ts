import { safeLogFields } from '../../shared/adapters/powertools/safe-log-fields.ts';
import type { LogFields, Logger } from '../../shared/core/telemetry.ts';

export type ConsoleLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface ConsoleLoggerOptions {
  /** Receives one finished line (no trailing newline). */
  readonly write: (line: string) => void;
  readonly level?: ConsoleLogLevel;
  /** Timestamps only; never used for any decision. */
  readonly now?: () => number;
}

const RANK: Readonly<Record<ConsoleLogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * Local mode's Logger port: one readable line per entry (`<time> <LEVEL> <message> <json fields>`).
 * Fields go through the same sanitizer as the Lambda logger, so an error logged here shows exactly
 * what CloudWatch would: codes, ids and fingerprints, never a token or secret.
 */
export const makeConsoleLogger = (options: ConsoleLoggerOptions): Logger => {
  const threshold = RANK[options.level ?? 'info'];
  const now = options.now ?? Date.now;
  const log =
    (level: ConsoleLogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (RANK[level] < threshold) return;
      // As the Lambda logger: error stacks at ERROR only.
      const safe = safeLogFields(fields, { stacks: level === 'error' });
      const tail = safe === undefined || Object.keys(safe).length === 0 ? '' : ` ${JSON.stringify(safe)}`;
      options.write(`${new Date(now()).toISOString()} ${level.toUpperCase().padEnd(5)} ${message}${tail}`);
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
};
