import { BadRequestError } from '../core/errors.ts';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from './http-transport-errors.ts';

/** Every broker request body is a few hundred bytes; 8 KiB leaves room for long param lists. */
export const MAX_BODY_BYTES = 8_192;

/** The parts of an API Gateway proxy event (REST v1) a body depends on; all untrusted. */
export interface BodySource {
  readonly body?: unknown;
  readonly isBase64Encoded?: unknown;
  readonly headers?: unknown;
  readonly multiValueHeaders?: unknown;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** All values of one header, whatever the casing of its name (API Gateway keeps the client's). */
const headerValues = (source: BodySource, name: string): string[] => {
  const values: string[] = [];
  for (const bag of [source.headers, source.multiValueHeaders]) {
    if (typeof bag !== 'object' || bag === null) continue;
    // for-in without allocating entries: this runs on every request (quality bar P2).
    for (const key in bag) {
      if (key.length !== name.length || key.toLowerCase() !== name) continue;
      const value = (bag as Record<string, unknown>)[key];
      if (typeof value === 'string') values.push(value);
      else if (Array.isArray(value)) for (const v of value) if (typeof v === 'string') values.push(v);
    }
  }
  return values;
};

const isJsonMediaType = (value: string): boolean => {
  // What every client sends; the general parse below gives the same answer for it.
  if (value === 'application/json') return true;
  const [type, ...parameters] = value.split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'application/json') return false;
  // JSON is UTF-8 (RFC 8259); any other declared charset means the bytes are not what we parse.
  return parameters.every((p) => p === '' || p === 'charset=utf-8' || p === 'charset="utf-8"');
};

const rawBody = (source: BodySource): string => {
  const { body } = source;
  if (body === undefined || body === null) return '';
  if (typeof body !== 'string') throw new BadRequestError('The request body must be a string.');
  if (source.isBase64Encoded !== true) {
    // Each UTF-16 unit is at least one UTF-8 byte: a cheap bound before measuring exactly.
    // and at most three (a surrogate pair is two units for four bytes), so most bodies need no count.
    if (body.length > MAX_BODY_BYTES) throw tooLarge();
    if (body.length * 3 > MAX_BODY_BYTES && Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES)
      throw tooLarge();
    return body;
  }
  // Bound the encoded size first so a huge body is refused without decoding it.
  if (body.length > Math.ceil(MAX_BODY_BYTES / 3) * 4) throw tooLarge();
  if (body.length % 4 !== 0 || !BASE64.test(body)) {
    throw new BadRequestError('The request body is not valid base64.');
  }
  const bytes = Buffer.from(body, 'base64');
  if (bytes.length > MAX_BODY_BYTES) throw tooLarge();
  try {
    return utf8.decode(bytes);
  } catch {
    throw new BadRequestError('The request body is not valid UTF-8.');
  }
};

const tooLarge = (): PayloadTooLargeError =>
  new PayloadTooLargeError(`The request body exceeds ${MAX_BODY_BYTES} bytes.`);

/**
 * The request body as a JSON object; `{}` when there is none. The body must be `application/json`
 * (UTF-8); without a Content-Type only an empty body is accepted. Over MAX_BODY_BYTES → 413,
 * wrong media type → 415, anything unparseable or not an object → 400.
 */
export const parseJsonBody = (source: BodySource): Record<string, unknown> => {
  const text = rawBody(source);
  const contentTypes = headerValues(source, 'content-type');
  const contentType = contentTypes[0];
  if (contentTypes.some((value) => value !== contentType))
    throw new UnsupportedMediaTypeError('Conflicting Content-Type headers.');
  if (contentType !== undefined && !isJsonMediaType(contentType)) {
    throw new UnsupportedMediaTypeError('The request body must be application/json.');
  }
  if (text.trim() === '') return {};
  if (contentType === undefined) {
    throw new UnsupportedMediaTypeError('A request body needs Content-Type: application/json.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BadRequestError('The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BadRequestError('The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
};
