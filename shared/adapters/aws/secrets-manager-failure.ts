import { shapeOf, THROTTLING_ERRORS } from './sdk-error.ts';

/** What a failed Secrets Manager call means for the broker, whatever the operation was. */
export type SecretsManagerFailure =
  | 'not-found'
  | 'deleting'
  | 'denied'
  | 'throttled'
  | 'refused'
  | 'unavailable';

/** Secrets Manager refusing the call for the secret's state or the arguments: no retry fixes it. */
const REFUSED = new Set([
  'InvalidRequestException',
  'InvalidParameterException',
  'PreconditionNotMetException',
]);

/**
 * Classifies an SDK error once for every translator (each words its own messages). `deniedNames`:
 * the error names that mean the caller may not (the KMS failures that apply differ per operation).
 * InternalServiceError, timeouts, network failures and anything unrecognized are `unavailable`.
 */
export const classifySecretsManagerFailure = (
  error: unknown,
  deniedNames: ReadonlySet<string>,
): { readonly kind: SecretsManagerFailure; readonly name: string } => {
  const shape = shapeOf(error);
  const name = typeof shape.name === 'string' ? shape.name : 'Error';
  const message = typeof shape.message === 'string' ? shape.message : '';
  if (name === 'ResourceNotFoundException') return { kind: 'not-found', name };
  // A secret scheduled for deletion answers InvalidRequestException; for the broker it is gone.
  if (name === 'InvalidRequestException' && /marked for deletion/i.test(message))
    return { kind: 'deleting', name };
  if (deniedNames.has(name)) return { kind: 'denied', name };
  if (THROTTLING_ERRORS.has(name) || shape.$retryable?.throttling === true)
    return { kind: 'throttled', name };
  if (REFUSED.has(name)) return { kind: 'refused', name };
  return { kind: 'unavailable', name };
};
