import { describe, expect, it } from 'vitest';
import { parseUpstreamErrorBody } from '../../../shared/adapters/http/upstream-error-body.ts';

const parse = (body: unknown) =>
  parseUpstreamErrorBody(typeof body === 'string' ? body : JSON.stringify(body));

describe('parseUpstreamErrorBody understands every Instructure error shape', () => {
  it('reads the generic errors array', () => {
    expect(parse({ errors: [{ message: 'Invalid access token.' }] })).toEqual({
      messages: ['Invalid access token.'],
      rateLimited: false,
    });
  });

  it('reads the unauthenticated and unauthorized envelopes with their status', () => {
    expect(
      parse({ status: 'unauthenticated', errors: [{ message: 'user authorization required' }] }),
    ).toMatchObject({
      status: 'unauthenticated',
      messages: ['user authorization required'],
    });
    expect(
      parse({ status: 'unauthorized', errors: [{ message: 'user not authorized to perform that action' }] }),
    ).toMatchObject({ status: 'unauthorized', messages: ['user not authorized to perform that action'] });
  });

  it('reads the JWT endpoints {"error": "..."} with an optional error_description', () => {
    expect(parse({ error: 'cannot generate a JWT when authorized by a JWT' }).messages).toEqual([
      'cannot generate a JWT when authorized by a JWT',
    ]);
    expect(
      parse({
        error: 'invalid_target',
        error_description: 'The requested audience is not permitted for this client',
      }).messages,
    ).toEqual(['invalid_target: The requested audience is not permitted for this client']);
  });

  it('reads the refresh {"errors": {"jwt": "..."}} shape', () => {
    expect(parse({ errors: { jwt: 'invalid refresh' } })).toEqual({
      messages: ['jwt: invalid refresh'],
      jwtError: 'invalid refresh',
      rateLimited: false,
    });
  });

  it('reads a bare array', () => {
    expect(parse([{ message: 'token[purpose] is missing' }]).messages).toEqual(['token[purpose] is missing']);
  });

  it('reads {"errors": {"message": "..."}}', () => {
    expect(
      parse({ errors: { message: 'cannot regenerate an expired token without a new expiration date' } })
        .messages,
    ).toEqual(['cannot regenerate an expired token without a new expiration date']);
  });

  it('reads per-attribute validation errors', () => {
    expect(parse({ errors: { purpose: [{ attribute: 'purpose', message: 'blank' }] } }).messages).toEqual([
      'purpose: blank',
    ]);
  });

  it('reads the DAP error object with its type and uuid', () => {
    expect(
      parse({ error: { type: 'AccountDisabled', uuid: 'u-1', message: 'Account is disabled' } }),
    ).toEqual({
      messages: ['Account is disabled'],
      errorType: 'AccountDisabled',
      errorUuid: 'u-1',
      rateLimited: false,
    });
  });

  it('recognizes the plain-text rate limit body', () => {
    expect(parse('403 Forbidden (Rate Limit Exceeded)\n')).toEqual({
      messages: ['403 Forbidden (Rate Limit Exceeded)'],
      rateLimited: true,
    });
  });

  it('keeps the first line of any other text and never throws', () => {
    expect(parse('\n<html>\n<body>Bad Gateway</body>')).toEqual({ messages: ['<html>'], rateLimited: false });
    expect(parse('')).toEqual({ messages: [], rateLimited: false });
    expect(parse('null')).toEqual({ messages: [], rateLimited: false });
    expect(parse('42')).toEqual({ messages: [], rateLimited: false });
    expect(parse({ errors: 'nope', error: 7 })).toEqual({ messages: [], rateLimited: false });
  });
});
