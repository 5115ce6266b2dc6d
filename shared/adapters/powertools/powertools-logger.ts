import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { LogFields, Logger } from '../../core/telemetry.ts';
import { safeLogFields } from './safe-log-fields.ts';

/**
 * The core Logger port on a Powertools Logger (one JSON line per entry, with the Lambda context
 * the `injectLoggerContext` middleware adds). Fields go through `safeLogFields`, so nothing a core
 * module logs can make serialization throw or dump an error's attached request.
 */
export const makePowertoolsLogger = (logger: PowertoolsLogger): Logger => {
  const write =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: LogFields): void => {
      // Stacks only at ERROR: below it, failures are expected ones (see shared/edge/log-failure.ts).
      const safe = safeLogFields(fields, { stacks: level === 'error' });
      if (safe === undefined) logger[level](message);
      else logger[level](message, safe);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
};
