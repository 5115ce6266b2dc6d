import { InternalError, isBrokerError } from '../core/errors.ts';
import type { Logger } from '../core/telemetry.ts';
import type { RotateCanvasToken } from './make-rotate-canvas-token.ts';

/**
 * The rotation function's body: runs the step, and on failure logs the error's code and safe
 * message (BrokerError messages never hold a secret) before rethrowing, so Secrets Manager marks
 * the rotation failed and retries it. The event is never logged whole. The invocation's signal
 * (middy's, aborted as the Lambda's time runs out) reaches every call the step makes, so an
 * out-of-time step stops its in-flight Canvas or Secrets Manager call instead of running on.
 */
export const makeRotationHandler =
  (rotation: RotateCanvasToken, logger: Logger) =>
  async (event: unknown, _context?: unknown, options?: { readonly signal?: AbortSignal }): Promise<void> => {
    try {
      await rotation.rotate(event, options?.signal);
    } catch (error) {
      logger.error('rotation step failed', {
        code: isBrokerError(error) ? error.code : 'INTERNAL',
        message: isBrokerError(error) ? error.message : 'unexpected error',
        ...(isBrokerError(error) ? { retryable: error.retryable, ...error.details } : {}),
      });
      // Lambda prints a thrown error's message: only messages written for logs may reach it.
      throw isBrokerError(error)
        ? error
        : new InternalError('Rotation step failed unexpectedly.', { cause: error });
    }
  };
