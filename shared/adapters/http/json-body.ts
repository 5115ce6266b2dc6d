import { UpstreamMalformedError } from '../../core/errors.ts';
import type { UpstreamResponse } from './upstream-response.ts';

const malformed = (response: UpstreamResponse, operation: string, what: string) =>
  new UpstreamMalformedError(`${operation}: ${what}`, {
    upstreamStatus: response.status,
    details: { operation },
  });

/**
 * Parses a success body that must be JSON. The body itself never reaches the message: on a
 * success status it may hold a token.
 */
export const jsonBody = (response: UpstreamResponse, operation: string): unknown => {
  try {
    return JSON.parse(response.text);
  } catch {
    // No cause: V8's SyntaxError message quotes the start of the body.
    throw malformed(response, operation, 'response body is not JSON');
  }
};

/** A success body that must be a JSON object. */
export const jsonObjectBody = (response: UpstreamResponse, operation: string): Record<string, unknown> => {
  const body = jsonBody(response, operation);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw malformed(response, operation, 'response body is not a JSON object');
  }
  return body as Record<string, unknown>;
};

/** A non-empty string field of a success body; names the field, never its value. */
export const requiredString = (
  body: Record<string, unknown>,
  field: string,
  response: UpstreamResponse,
  operation: string,
): string => {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw malformed(response, operation, `response field "${field}" is missing or not a non-empty string`);
  }
  return value;
};
