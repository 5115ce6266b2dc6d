import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../shared/core/errors.ts';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from '../../shared/edge/http-transport-errors.ts';
import { MAX_BODY_BYTES, parseJsonBody } from '../../shared/edge/parse-json-body.ts';

const JSON_TYPE = { 'Content-Type': 'application/json' };

describe('parseJsonBody', () => {
  it('parses a JSON object body', () => {
    expect(parseJsonBody({ body: '{"minTtlSeconds":60}', headers: JSON_TYPE })).toEqual({
      minTtlSeconds: 60,
    });
  });

  it('reads Content-Type whatever its casing, with a utf-8 charset', () => {
    const headers = { 'content-type': 'Application/JSON; charset=UTF-8' };
    expect(parseJsonBody({ body: '{}', headers })).toEqual({});
  });

  it('reads the header from multiValueHeaders too', () => {
    expect(
      parseJsonBody({ body: '{"a":1}', multiValueHeaders: { 'Content-Type': ['application/json'] } }),
    ).toEqual({
      a: 1,
    });
  });

  it('treats an absent or empty body as an empty object, with or without Content-Type', () => {
    expect(parseJsonBody({ body: null })).toEqual({});
    expect(parseJsonBody({})).toEqual({});
    expect(parseJsonBody({ body: '  ', headers: JSON_TYPE })).toEqual({});
  });

  it('decodes a base64 body', () => {
    const body = Buffer.from('{"minTtlSeconds":5}').toString('base64');
    expect(parseJsonBody({ body, isBase64Encoded: true, headers: JSON_TYPE })).toEqual({ minTtlSeconds: 5 });
  });

  it.each([
    ['a body without Content-Type', { body: '{}' }],
    ['text/plain', { body: '{}', headers: { 'Content-Type': 'text/plain' } }],
    ['a JSON-ish vendor type', { body: '{}', headers: { 'Content-Type': 'application/vnd.api+json' } }],
    ['a latin-1 charset', { body: '{}', headers: { 'Content-Type': 'application/json; charset=latin1' } }],
    [
      'conflicting headers',
      { body: '{}', headers: { 'Content-Type': 'application/json', 'content-type': 'text/xml' } },
    ],
    ['a wrong type on an empty body', { body: '', headers: { 'Content-Type': 'text/plain' } }],
  ])('answers 415 for %s', (_name, source) => {
    expect(() => parseJsonBody(source)).toThrow(UnsupportedMediaTypeError);
  });

  it.each([
    ['a body one byte over the cap', { body: `"${'x'.repeat(MAX_BODY_BYTES - 1)}"`, headers: JSON_TYPE }],
    ['multi-byte characters over the cap', { body: '€'.repeat(MAX_BODY_BYTES / 2), headers: JSON_TYPE }],
    [
      'a base64 body over the cap',
      {
        body: Buffer.alloc(MAX_BODY_BYTES + 1, 32).toString('base64'),
        isBase64Encoded: true,
        headers: JSON_TYPE,
      },
    ],
    ['a huge base64 body', { body: 'A'.repeat(1_000_000), isBase64Encoded: true, headers: JSON_TYPE }],
  ])('answers 413 for %s', (_name, source) => {
    expect(() => parseJsonBody(source)).toThrow(PayloadTooLargeError);
  });

  it('accepts a body of exactly the cap', () => {
    const body = `{"a":"${'x'.repeat(MAX_BODY_BYTES - 8)}"}`;
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
    expect(() => parseJsonBody({ body, headers: JSON_TYPE })).not.toThrow();
  });

  it.each([
    ['garbage', '{nope'],
    ['an array', '[]'],
    ['null', 'null'],
    ['a number', '42'],
    ['a string', '"x"'],
  ])('answers 400 for %s', (_name, body) => {
    expect(() => parseJsonBody({ body, headers: JSON_TYPE })).toThrow(BadRequestError);
  });

  it.each([
    ['invalid base64', { body: '%%%%', isBase64Encoded: true }],
    ['unpadded base64', { body: 'e30', isBase64Encoded: true }],
    [
      'invalid UTF-8',
      { body: Buffer.from([0xff, 0xfe, 0xfd, 0xfc]).toString('base64'), isBase64Encoded: true },
    ],
    ['a non-string body', { body: { a: 1 } }],
  ])('answers 400 for %s', (_name, source) => {
    expect(() => parseJsonBody({ ...source, headers: JSON_TYPE })).toThrow(BadRequestError);
  });
});
