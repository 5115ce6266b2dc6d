import { expect } from 'vitest';
import { BrokerError } from '../../../../shared/core/errors.ts';

/** Awaits a promise that must reject with a BrokerError, and returns that error. */
export const captureError = async (promise: Promise<unknown>): Promise<BrokerError> => {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(BrokerError);
  return outcome as BrokerError;
};

/** Neither the message nor any serialized field of the error (or its cause) may carry a secret. */
export const expectNoSecrets = (error: unknown, secrets: readonly string[]): void => {
  const cause = (error as { cause?: unknown }).cause;
  const surfaces = [
    String((error as Error).message),
    JSON.stringify(error),
    String(error),
    cause === undefined ? '' : `${String(cause)} ${JSON.stringify(cause) ?? ''}`,
  ].join('\n');
  for (const secret of secrets) expect(surfaces).not.toContain(secret);
};
