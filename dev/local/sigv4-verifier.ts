import { createHash, timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Clock } from '../../shared/core/clock.ts';
import { parseRawQuery } from './parse-raw-query.ts';

/** A key pair the local API accepts, and the IAM principal it stands for (its `userArn`). */
export interface LocalAccessKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly principalArn?: string;
}

export interface SigV4VerifierOptions {
  /** Every key pair the verifier accepts; each request is checked against the one it names. */
  readonly credentials: LocalAccessKey | readonly LocalAccessKey[];
  readonly region: string;
  /** Signing name; API Gateway's is `execute-api`. */
  readonly service?: string;
  readonly clock: Pick<Clock, 'now'>;
  /** How far X-Amz-Date may be from the clock, either way (AWS: 5 minutes). */
  readonly maxSkewMs?: number;
}

/** A request as received on the wire, before any routing. */
export interface ReceivedRequest {
  readonly method: string;
  /** The path as received (still percent-encoded), without the query string. */
  readonly path: string;
  /** The raw query string, without the leading `?` (empty when none). */
  readonly query: string;
  /** Node's `IncomingHttpHeaders`: lower-case names. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: string | Uint8Array;
}

export type SigV4Rejection = 'unsigned' | 'malformed' | 'unknown-key' | 'bad-signature' | 'stale';

/**
 * What the local API answers with a 403, in API Gateway's own words: `message` becomes the body
 * `{"message": "..."}` and `errorType` the `x-amzn-ErrorType` header. Neither ever carries the
 * expected signature, the canonical request or anything derived from the secret key.
 */
export type SigV4Verdict =
  | { readonly ok: true; readonly accessKeyId: string; readonly principalArn?: string }
  | {
      readonly ok: false;
      readonly reason: SigV4Rejection;
      readonly errorType: string;
      readonly message: string;
    };

export interface SigV4Verifier {
  verify(request: ReceivedRequest): Promise<SigV4Verdict>;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const HEX_SIGNATURE = /^[0-9a-f]{64}$/;
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const MAX_PRESIGNED_EXPIRES_SECONDS = 7 * 24 * 3600;

const reject = (reason: SigV4Rejection, errorType: string, message: string): SigV4Verdict => ({
  ok: false,
  reason,
  errorType,
  message,
});

const UNSIGNED = reject('unsigned', 'MissingAuthenticationTokenException', 'Missing Authentication Token');
const UNKNOWN_KEY = reject(
  'unknown-key',
  'UnrecognizedClientException',
  'The security token included in the request is invalid.',
);
const BAD_SIGNATURE = reject(
  'bad-signature',
  'InvalidSignatureException',
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
);
const incomplete = (message: string): SigV4Verdict =>
  reject('malformed', 'IncompleteSignatureException', message);

const parseAmzDate = (value: string | undefined): number | undefined => {
  const m = value === undefined ? null : AMZ_DATE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  // Date.UTC rolls 20240231 over into March; a real timestamp survives the round trip.
  return new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '') === value ? ms : undefined;
};

const formatAmzDate = (ms: number): string => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');

const headerValue = (value: string | readonly string[] | undefined): string | undefined =>
  typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : undefined;

/** A header the request really has: own properties only, whatever the map's prototype. */
const ownHeader = (request: ReceivedRequest, name: string): string | undefined =>
  Object.hasOwn(request.headers, name) ? headerValue(request.headers[name]) : undefined;

/** The signer's query bag: one value as a string, repeated names as an array. */
const toQueryBag = (raw: string): Record<string, string | string[]> | undefined => {
  const parsed = parseRawQuery(raw);
  if (!parsed) return undefined;
  const bag: Record<string, string | string[]> = Object.create(null);
  for (const [name, values] of parsed) bag[name] = values.length === 1 ? values[0]! : values;
  return bag;
};

const single = (value: string | string[] | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined;

const sha256Hex = (body: string | Uint8Array): string => createHash('sha256').update(body).digest('hex');

const sameSignature = (expected: string, provided: string): boolean =>
  // Both are 64 lower-case hex characters by now, so the buffers have equal length.
  timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(provided, 'hex'));

interface AuthParts {
  readonly accessKeyId: string;
  readonly scopeDate: string;
  readonly region: string;
  readonly service: string;
  readonly terminator: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

const parseCredential = (credential: string): Omit<AuthParts, 'signedHeaders' | 'signature'> | undefined => {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) return undefined;
  const [accessKeyId, scopeDate, region, service, terminator] = parts as [
    string,
    string,
    string,
    string,
    string,
  ];
  return { accessKeyId, scopeDate, region, service, terminator };
};

const parseAuthorizationHeader = (header: string): AuthParts | string => {
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space) !== ALGORITHM) {
    return `Authorization header requires the ${ALGORITHM} algorithm.`;
  }
  const fields = new Map<string, string>();
  for (const item of header.slice(space + 1).split(',')) {
    const eq = item.indexOf('=');
    if (eq > 0) fields.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    return "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.";
  }
  const scope = parseCredential(credential);
  if (!scope) return 'Credential must have exactly 5 slash-separated components.';
  return { ...scope, signedHeaders: signedHeaders.split(';'), signature };
};

/**
 * Verifies AWS Signature Version 4 the way API Gateway's `AWS_IAM` authorization does, so local
 * mode exercises exactly what a caller must get right in AWS. The signature is recomputed over the
 * received request with @smithy/signature-v4 (the same canonicalization the AWS SDKs sign with),
 * never re-implemented, and compared in constant time.
 *
 * Accepted: the `Authorization` header form and presigned (query-string) URLs. Refused: unsigned
 * requests, unknown access keys, session tokens (local keys have none), scopes for another region,
 * service or day, a `host` or `x-amz-date` left out of the signature, an `x-amz-content-sha256`
 * that is not the body's hash (so the body is always covered), and X-Amz-Date more than
 * `maxSkewMs` off the injected clock.
 *
 * Limits of the local check: a signed `Date` header is not supported (the SDK signer never signs
 * it), and repeated headers are compared as Node joins them.
 */
export const makeSigV4Verifier = (options: SigV4VerifierOptions): SigV4Verifier => {
  const service = options.service ?? 'execute-api';
  const maxSkewMs = options.maxSkewMs ?? 300_000;
  const keys = Array.isArray(options.credentials)
    ? (options.credentials as readonly LocalAccessKey[])
    : [options.credentials as LocalAccessKey];
  const signers = new Map<string, { key: LocalAccessKey; signer: SignatureV4 }>();
  for (const key of keys) {
    const signer = new SignatureV4({
      credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
      region: options.region,
      service,
      sha256: Hash.bind(null, 'sha256'),
      // The verifier must hash exactly the headers the caller signed, never add its own.
      applyChecksum: false,
    });
    signers.set(key.accessKeyId, { key, signer });
  }

  const checkScope = (auth: AuthParts, amzDate: string): SigV4Verdict | undefined => {
    if (auth.terminator !== 'aws4_request') {
      return reject(
        'bad-signature',
        'InvalidSignatureException',
        "Credential should be scoped with a valid terminator: 'aws4_request'.",
      );
    }
    if (auth.region !== options.region) {
      return reject(
        'bad-signature',
        'InvalidSignatureException',
        'Credential should be scoped to a valid region.',
      );
    }
    if (auth.service !== service) {
      return reject(
        'bad-signature',
        'InvalidSignatureException',
        `Credential should be scoped to correct service: '${service}'.`,
      );
    }
    if (auth.scopeDate !== amzDate.slice(0, 8)) {
      return reject(
        'bad-signature',
        'InvalidSignatureException',
        'Date in Credential scope does not match YYYYMMDD from X-Amz-Date.',
      );
    }
    if (!auth.signedHeaders.includes('host')) {
      return reject(
        'bad-signature',
        'InvalidSignatureException',
        "'Host' must be a 'SignedHeader' in the AWS Authorization.",
      );
    }
    if (!auth.signedHeaders.every((name) => HEADER_NAME.test(name))) {
      return incomplete('SignedHeaders must be a semicolon-separated list of lower-case header names.');
    }
    if (!HEX_SIGNATURE.test(auth.signature)) return BAD_SIGNATURE;
    return undefined;
  };

  const checkSkew = (signedAt: number, amzDate: string, validForMs: number): SigV4Verdict | undefined => {
    const now = options.clock.now();
    const minutes = `${Math.round(maxSkewMs / 60_000)} min.`;
    if (signedAt + validForMs < now - maxSkewMs) {
      return reject(
        'stale',
        'InvalidSignatureException',
        `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - maxSkewMs)} (${formatAmzDate(now)} - ${minutes})`,
      );
    }
    if (signedAt > now + maxSkewMs) {
      return reject(
        'stale',
        'InvalidSignatureException',
        `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(now + maxSkewMs)} (${formatAmzDate(now)} + ${minutes})`,
      );
    }
    return undefined;
  };

  /**
   * Only the headers the caller signed take part, with the values they arrived with. Both maps
   * are read and built without prototypes: a signed header named `constructor`, `toString` or
   * `__proto__` is an ordinary (absent or present) header, never `Object.prototype`'s member.
   */
  const signedHeaderBag = (
    request: ReceivedRequest,
    names: readonly string[],
  ): Record<string, string> | undefined => {
    const bag: Record<string, string> = Object.create(null);
    for (const name of names) {
      if (name === 'x-amz-date' || name === 'authorization') continue;
      const value = ownHeader(request, name);
      if (value === undefined) return undefined;
      bag[name] = value;
    }
    return bag;
  };

  const checkPayloadHash = (request: ReceivedRequest): boolean => {
    const declared = ownHeader(request, 'x-amz-content-sha256');
    return declared === undefined || declared === sha256Hex(request.body);
  };

  /**
   * The path the signature covers: the path exactly as it came on the wire (still
   * percent-encoded), which the signer then URI-encodes once more. That is SigV4's canonical URI
   * for every service but S3 ("each path segment must be URI-encoded twice"): botocore quotes
   * the already-encoded request path, and @smithy/signature-v4's getCanonicalPath escapes the
   * path the SDK serializer already encoded, so `/v1/credentials/d%61p` is signed as
   * `/v1/credentials/d%2561p`, which is what API Gateway checks. Decoding first (as this did)
   * made the canonical URI `/v1/credentials/dap` and refused every such signature. A path that
   * does not decode is refused outright.
   */
  const wirePath = (path: string): string | undefined => {
    try {
      decodeURIComponent(path);
      return path;
    } catch {
      return undefined;
    }
  };

  const verifyHeaderAuth = async (
    request: ReceivedRequest,
    authorization: string,
    query: Record<string, string | string[]>,
  ): Promise<SigV4Verdict> => {
    const auth = parseAuthorizationHeader(authorization);
    if (typeof auth === 'string') return incomplete(auth);
    const entry = signers.get(auth.accessKeyId);
    if (!entry || ownHeader(request, 'x-amz-security-token') !== undefined) return UNKNOWN_KEY;
    const amzDate = ownHeader(request, 'x-amz-date');
    const signedAt = parseAmzDate(amzDate);
    if (amzDate === undefined || signedAt === undefined) {
      return incomplete("Authorization header requires existence of a valid 'X-Amz-Date' header.");
    }
    const scopeProblem = checkScope(auth, amzDate);
    if (scopeProblem) return scopeProblem;
    if (!auth.signedHeaders.includes('x-amz-date')) return BAD_SIGNATURE;
    const skewProblem = checkSkew(signedAt, amzDate, 0);
    if (skewProblem) return skewProblem;
    const headers = signedHeaderBag(request, auth.signedHeaders);
    const path = wirePath(request.path);
    if (!headers || path === undefined || !checkPayloadHash(request)) return BAD_SIGNATURE;

    const signed = await entry.signer.sign(
      { method: request.method, protocol: 'http:', hostname: '', path, query, headers, body: request.body },
      { signingDate: new Date(signedAt), signableHeaders: new Set(auth.signedHeaders) },
    );
    const expected = /Signature=([0-9a-f]{64})$/.exec(signed.headers.authorization ?? '')?.[1];
    if (expected === undefined || !sameSignature(expected, auth.signature)) return BAD_SIGNATURE;
    return { ok: true, accessKeyId: entry.key.accessKeyId, principalArn: entry.key.principalArn };
  };

  const verifyPresigned = async (
    request: ReceivedRequest,
    query: Record<string, string | string[]>,
  ): Promise<SigV4Verdict> => {
    const algorithm = single(query['X-Amz-Algorithm']);
    const credential = single(query['X-Amz-Credential']);
    const amzDate = single(query['X-Amz-Date']);
    const expires = single(query['X-Amz-Expires']);
    const signedHeaders = single(query['X-Amz-SignedHeaders']);
    const signature = single(query['X-Amz-Signature']);
    if (algorithm !== ALGORITHM) return incomplete(`X-Amz-Algorithm must be ${ALGORITHM}.`);
    if (!credential || !amzDate || !expires || !signedHeaders || !signature) {
      return incomplete(
        "Presigned requests require 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders' and 'X-Amz-Signature'.",
      );
    }
    const scope = parseCredential(credential);
    if (!scope) return incomplete('X-Amz-Credential must have exactly 5 slash-separated components.');
    const entry = signers.get(scope.accessKeyId);
    if (!entry || query['X-Amz-Security-Token'] !== undefined) return UNKNOWN_KEY;
    const signedAt = parseAmzDate(amzDate);
    const expiresIn = /^\d{1,6}$/.test(expires) ? Number(expires) : Number.NaN;
    if (signedAt === undefined) return incomplete('X-Amz-Date must be a valid ISO-8601 basic timestamp.');
    if (!(expiresIn >= 1 && expiresIn <= MAX_PRESIGNED_EXPIRES_SECONDS)) {
      return incomplete('X-Amz-Expires must be between 1 and 604800 seconds.');
    }
    const auth: AuthParts = { ...scope, signedHeaders: signedHeaders.split(';'), signature };
    const scopeProblem = checkScope(auth, amzDate);
    if (scopeProblem) return scopeProblem;
    const skewProblem = checkSkew(signedAt, amzDate, expiresIn * 1000);
    if (skewProblem) return skewProblem;
    const headers = signedHeaderBag(request, auth.signedHeaders);
    const path = wirePath(request.path);
    if (!headers || path === undefined || !checkPayloadHash(request)) return BAD_SIGNATURE;

    // presign() writes the auth parameters itself; the others take part exactly as received.
    const unsignedQuery = { ...query };
    delete unsignedQuery['X-Amz-Signature'];
    const presigned = await entry.signer.presign(
      {
        method: request.method,
        protocol: 'http:',
        hostname: '',
        path,
        query: unsignedQuery,
        headers,
        body: request.body,
      },
      {
        signingDate: new Date(signedAt),
        expiresIn,
        signableHeaders: new Set(auth.signedHeaders),
        unhoistableHeaders: new Set(Object.keys(headers)),
      },
    );
    const expected = single(presigned.query?.['X-Amz-Signature'] ?? undefined);
    if (expected === undefined || !sameSignature(expected, signature)) return BAD_SIGNATURE;
    return { ok: true, accessKeyId: entry.key.accessKeyId, principalArn: entry.key.principalArn };
  };

  return {
    async verify(request) {
      const query = toQueryBag(request.query);
      if (!query) return BAD_SIGNATURE;
      const authorization = ownHeader(request, 'authorization');
      if (authorization !== undefined) return verifyHeaderAuth(request, authorization, query);
      if (query['X-Amz-Algorithm'] !== undefined) return verifyPresigned(request, query);
      return UNSIGNED;
    },
  };
};
