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

/** A fresh copy per answer (a literal, cheaper than a spread on the hot path). */
const baseHeaders = (): Record<string, string> => ({
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
});

/** An answer whose body is already JSON text (the token answer, see token-body-json.ts). */
export const jsonTextResponse = (
  statusCode: number,
  text: string,
  headers?: Readonly<Record<string, string>>,
): APIGatewayProxyResult => ({
  statusCode,
  headers: headers === undefined ? baseHeaders() : { ...BASE_HEADERS, ...headers },
  body: text,
});

export const jsonResponse = (
  statusCode: number,
  body: unknown,
  headers?: Readonly<Record<string, string>>,
): APIGatewayProxyResult => jsonTextResponse(statusCode, JSON.stringify(body), headers);

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
