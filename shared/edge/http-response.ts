import type { APIGatewayProxyResult } from 'aws-lambda';
import type { PublicError } from './error-table.ts';

/**
 * Every answer is JSON and uncacheable: token bodies obviously, but error and listing bodies too,
 * so no proxy ever keeps a broker response.
 */
const BASE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

export const jsonResponse = (
  statusCode: number,
  body: unknown,
  headers?: Readonly<Record<string, string>>,
): APIGatewayProxyResult => ({
  statusCode,
  headers: headers === undefined ? { ...BASE_HEADERS } : { ...BASE_HEADERS, ...headers },
  body: JSON.stringify(body),
});

/** The error body `{"error":{"code","message","requestId"}}`, with `Retry-After` when the table says so. */
export const errorResponse = (
  error: PublicError,
  requestId: string,
  headers?: Readonly<Record<string, string>>,
): APIGatewayProxyResult => {
  const retry =
    error.retryAfterSeconds === undefined ? undefined : { 'Retry-After': String(error.retryAfterSeconds) };
  return jsonResponse(
    error.status,
    { error: { code: error.code, message: error.message, requestId } },
    retry === undefined ? headers : { ...headers, ...retry },
  );
};
