import { StoreUnavailableError } from '../../core/errors.ts';

/**
 * Translation of DynamoDB SDK failures into the broker's errors. Only the SDK error's name goes into
 * the message: DynamoDB messages can echo request values (a ValidationException quotes the
 * offending attribute), and a token item's values must never reach a log line.
 */

const errorName = (error: unknown): string =>
  error instanceof Error && typeof error.name === 'string' && /^[A-Za-z0-9_.:-]{1,100}$/.test(error.name)
    ? error.name
    : 'UnknownError';

/** The condition of a conditional write did not hold: an answer (false), not a failure. */
export const isConditionFailure = (error: unknown): boolean =>
  errorName(error) === 'ConditionalCheckFailedException';

/**
 * True when the SDK sent the request more than once. A conditional write that failed its condition
 * on a retry may have been applied by the first attempt (whose answer was lost), so the caller has
 * to look at the item before answering false.
 */
export const wasRetried = (error: unknown): boolean => {
  const attempts = (error as { $metadata?: { attempts?: unknown } } | undefined)?.$metadata?.attempts;
  return typeof attempts === 'number' && attempts > 1;
};

export const storeUnavailable = (
  operation: string,
  tableName: string,
  error: unknown,
): StoreUnavailableError => {
  const name = errorName(error);
  return new StoreUnavailableError(`DynamoDB ${operation} on table ${tableName} failed (${name}).`, {
    cause: error,
    details: { operation, table: tableName, errorName: name },
  });
};
