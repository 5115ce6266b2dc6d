import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { makeSigV4Verifier, type ReceivedRequest } from '../../../dev/local/sigv4-verifier.ts';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const KEY = {
  accessKeyId: 'AKIALOCALTEST000001',
  secretAccessKey: 'local-secret-key-for-tests-only-000000001',
};
const OTHER = {
  accessKeyId: 'AKIALOCALTEST000002',
  secretAccessKey: 'local-secret-key-for-tests-only-000000002',
};
const HOST = '127.0.0.1:8787';

const fixedClock = (now: number) => ({ now: () => now });

const verifierAt = (now = NOW) =>
  makeSigV4Verifier({
    credentials: [
      { ...KEY, principalArn: 'arn:aws:iam::000000000000:user/local-developer' },
      { ...OTHER, principalArn: 'arn:aws:iam::000000000000:user/someone-else' },
    ],
    region: 'us-east-1',
    clock: fixedClock(now),
  });

interface Draft {
  method?: string;
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
}

const signerFor = (
  key: { accessKeyId: string; secretAccessKey: string },
  region = 'us-east-1',
  service = 'execute-api',
) => new SignatureV4({ credentials: key, region, service, sha256: Hash.bind(null, 'sha256') });

/** The query string as a client puts it on the wire (RFC 3986 percent-encoding). */
const toWire = (query: Record<string, string> | undefined): string =>
  Object.entries(query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');

/** Signs like an AWS SDK client and returns what the server would receive. */
const signed = async (
  draft: Draft = {},
  options: { key?: typeof KEY; at?: number; region?: string; service?: string } = {},
): Promise<ReceivedRequest> => {
  // As an AWS SDK does: the serializer percent-encodes the path, the signer encodes it once more.
  const path = encodeURI(draft.path ?? '/v1/credentials/dap/token');
  const body = draft.body ?? '{"minTtlSeconds":60}';
  const request = await signerFor(options.key ?? KEY, options.region, options.service).sign(
    {
      method: draft.method ?? 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 8787,
      path,
      query: draft.query ?? {},
      headers: { host: HOST, 'content-type': 'application/json', ...draft.headers },
      body,
    },
    { signingDate: new Date(options.at ?? NOW) },
  );
  return {
    method: request.method,
    path,
    query: toWire(draft.query),
    headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v])),
    body,
  };
};

describe('makeSigV4Verifier', () => {
  it('accepts a request signed by the AWS SDK signer and names its principal', async () => {
    const verdict = await verifierAt().verify(await signed());
    expect(verdict).toEqual({
      ok: true,
      accessKeyId: KEY.accessKeyId,
      principalArn: 'arn:aws:iam::000000000000:user/local-developer',
    });
  });

  it('accepts each configured key pair as its own principal', async () => {
    const verdict = await verifierAt().verify(await signed({}, { key: OTHER }));
    expect(verdict).toMatchObject({ ok: true, principalArn: 'arn:aws:iam::000000000000:user/someone-else' });
  });

  it('accepts a signed query string and a GET without body', async () => {
    const request = await signed({
      method: 'GET',
      path: '/v1/credentials',
      query: { b: 'x y', a: '1+2' },
      body: '',
    });
    expect(await verifierAt().verify(request)).toMatchObject({ ok: true });
  });

  it('refuses an unsigned request with Missing Authentication Token', async () => {
    const verdict = await verifierAt().verify({
      method: 'POST',
      path: '/v1/credentials/dap/token',
      query: '',
      headers: { host: HOST },
      body: '{}',
    });
    expect(verdict).toEqual({
      ok: false,
      reason: 'unsigned',
      errorType: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    });
  });

  it('refuses an access key it does not know', async () => {
    const stranger = { accessKeyId: 'AKIASTRANGER0000000', secretAccessKey: KEY.secretAccessKey };
    const verdict = await verifierAt().verify(await signed({}, { key: stranger }));
    expect(verdict).toMatchObject({
      ok: false,
      reason: 'unknown-key',
      message: 'The security token included in the request is invalid.',
    });
  });

  it('refuses a known key id signed with the wrong secret', async () => {
    const wrong = { accessKeyId: KEY.accessKeyId, secretAccessKey: OTHER.secretAccessKey };
    expect(await verifierAt().verify(await signed({}, { key: wrong }))).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('refuses a tampered body', async () => {
    const request = await signed();
    expect(await verifierAt().verify({ ...request, body: '{"minTtlSeconds":61}' })).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('refuses a tampered path', async () => {
    const request = await signed();
    expect(
      await verifierAt().verify({ ...request, path: '/v1/credentials/inst-access/token' }),
    ).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('refuses a tampered query string', async () => {
    const request = await signed({ method: 'GET', path: '/v1/credentials', query: { a: '1' }, body: '' });
    expect(await verifierAt().verify({ ...request, query: 'a=2' })).toMatchObject({
      reason: 'bad-signature',
    });
    expect(await verifierAt().verify({ ...request, query: 'a=1&b=2' })).toMatchObject({
      reason: 'bad-signature',
    });
  });

  it('refuses a tampered signed header', async () => {
    const request = await signed();
    const headers = { ...request.headers, 'content-type': 'text/plain' };
    expect(await verifierAt().verify({ ...request, headers })).toMatchObject({ reason: 'bad-signature' });
  });

  it('refuses a method changed after signing', async () => {
    const request = await signed();
    expect(await verifierAt().verify({ ...request, method: 'PUT' })).toMatchObject({
      reason: 'bad-signature',
    });
  });

  it('refuses a signed header that was dropped in transit', async () => {
    const request = await signed({ headers: { 'x-extra': 'yes' } });
    const { 'x-extra': _dropped, ...headers } = request.headers;
    expect(await verifierAt().verify({ ...request, headers })).toMatchObject({ reason: 'bad-signature' });
  });

  it('ignores headers that were not signed', async () => {
    const request = await signed();
    const headers = { ...request.headers, 'user-agent': 'changed/1.0', 'x-forwarded-for': '10.0.0.1' };
    expect(await verifierAt().verify({ ...request, headers })).toMatchObject({ ok: true });
  });

  it('refuses a content hash header that does not match the body', async () => {
    const request = await signed({ headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    expect(await verifierAt().verify(request)).toMatchObject({ reason: 'bad-signature' });
  });

  it('accepts a signature exactly 5 minutes old or 5 minutes ahead', async () => {
    const request = await signed();
    expect(await verifierAt(NOW + 300_000).verify(request)).toMatchObject({ ok: true });
    expect(await verifierAt(NOW - 300_000).verify(request)).toMatchObject({ ok: true });
  });

  it('refuses a signature more than 5 minutes old, in API Gateway words', async () => {
    const verdict = await verifierAt(NOW + 301_000).verify(await signed());
    expect(verdict).toEqual({
      ok: false,
      reason: 'stale',
      errorType: 'InvalidSignatureException',
      message:
        'Signature expired: 20250115T120000Z is now earlier than 20250115T120001Z (20250115T120501Z - 5 min.)',
    });
  });

  it('refuses a signature dated more than 5 minutes in the future', async () => {
    const verdict = await verifierAt(NOW - 301_000).verify(await signed());
    expect(verdict).toMatchObject({ ok: false, reason: 'stale' });
    expect(verdict.ok || verdict.message).toMatch(/^Signature not yet current/);
  });

  it('refuses a signature scoped to another region or service', async () => {
    expect(await verifierAt().verify(await signed({}, { region: 'eu-west-1' }))).toMatchObject({
      reason: 'bad-signature',
      message: 'Credential should be scoped to a valid region.',
    });
    expect(await verifierAt().verify(await signed({}, { service: 'lambda' }))).toMatchObject({
      reason: 'bad-signature',
    });
  });

  it('refuses an Authorization header that is not SigV4', async () => {
    const request = await signed();
    const headers = { ...request.headers, authorization: 'Bearer abc' };
    expect(await verifierAt().verify({ ...request, headers })).toMatchObject({
      ok: false,
      reason: 'malformed',
      errorType: 'IncompleteSignatureException',
    });
  });

  it('refuses a signature without X-Amz-Date', async () => {
    const request = await signed();
    const { 'x-amz-date': _date, ...headers } = request.headers;
    expect(await verifierAt().verify({ ...request, headers })).toMatchObject({ reason: 'malformed' });
  });

  it('refuses a session token, which local keys never have', async () => {
    const request = await signed();
    const headers = { ...request.headers, 'x-amz-security-token': 'FQoG' };
    expect(await verifierAt().verify({ ...request, headers })).toMatchObject({ reason: 'unknown-key' });
  });

  it('never reveals the expected signature in a refusal', async () => {
    const request = await signed();
    const good = /Signature=([0-9a-f]{64})/.exec(String(request.headers.authorization))![1]!;
    const forged = String(request.headers.authorization).replace(good, '0'.repeat(64));
    const verdict = await verifierAt().verify({
      ...request,
      headers: { ...request.headers, authorization: forged },
    });
    expect(verdict).toMatchObject({ reason: 'bad-signature' });
    expect(JSON.stringify(verdict)).not.toContain(good);
    expect(JSON.stringify(verdict)).not.toContain(KEY.secretAccessKey);
  });

  it('accepts a presigned URL within its expiry and refuses it after', async () => {
    const path = '/v1/credentials';
    const presigned = await signerFor(KEY).presign(
      { method: 'GET', protocol: 'http:', hostname: '127.0.0.1', path, query: {}, headers: { host: HOST } },
      { signingDate: new Date(NOW), expiresIn: 60 },
    );
    const query = Object.entries(presigned.query ?? {})
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    const request: ReceivedRequest = { method: 'GET', path, query, headers: { host: HOST }, body: '' };
    expect(await verifierAt(NOW + 30_000).verify(request)).toMatchObject({
      ok: true,
      accessKeyId: KEY.accessKeyId,
    });
    expect(await verifierAt(NOW + 60_000 + 301_000).verify(request)).toMatchObject({ reason: 'stale' });
    expect(await verifierAt().verify({ ...request, path: '/v1/credentials/dap' })).toMatchObject({
      reason: 'bad-signature',
    });
  });

  it('refuses an undecodable path or query without throwing', async () => {
    const request = await signed();
    expect(await verifierAt().verify({ ...request, path: '/v1/%E0%A4%A' })).toMatchObject({ ok: false });
    expect(await verifierAt().verify({ ...request, query: 'a=%' })).toMatchObject({ ok: false });
  });

  describe('percent-encoded paths, as API Gateway checks them (canonical URI encoded twice)', () => {
    // Signed by botocore 1.43 (SigV4Auth, service execute-api) with KEY at NOW for
    // POST http://127.0.0.1:8787<path>, body {"minTtlSeconds":60}, content-type application/json.
    // botocore's canonical URI for `/v1/credentials/d%61p/token` is `/v1/credentials/d%2561p/token`.
    const botocore = (path: string, signature: string): ReceivedRequest => ({
      method: 'POST',
      path,
      query: '',
      headers: {
        host: HOST,
        'content-type': 'application/json',
        'x-amz-date': '20250115T120000Z',
        authorization: `AWS4-HMAC-SHA256 Credential=${KEY.accessKeyId}/20250115/us-east-1/execute-api/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=${signature}`,
      },
      body: '{"minTtlSeconds":60}',
    });

    it('accepts botocore signatures over an escaped unreserved character and an escaped space', async () => {
      const dap = botocore(
        '/v1/credentials/d%61p/token',
        'c3b7ae08deafb6f8400270e58b1346d14f18878fafbe35495c6cae57ff03ccf4',
      );
      const spaced = botocore(
        '/v1/credentials/my%20cred/token',
        '3ad25850876bf42a2236758565f38d11a083559d0eb9595a185427e72b738bdd',
      );
      expect(await verifierAt().verify(dap)).toMatchObject({ ok: true, accessKeyId: KEY.accessKeyId });
      expect(await verifierAt().verify(spaced)).toMatchObject({ ok: true, accessKeyId: KEY.accessKeyId });
    });

    it('binds the signature to the wire form: the same path spelled another way is refused', async () => {
      const dap = botocore(
        '/v1/credentials/d%61p/token',
        'c3b7ae08deafb6f8400270e58b1346d14f18878fafbe35495c6cae57ff03ccf4',
      );
      expect(await verifierAt().verify({ ...dap, path: '/v1/credentials/dap/token' })).toMatchObject({
        reason: 'bad-signature',
      });
    });

    it('accepts the AWS SDK for JavaScript signer on an encoded path, header and presigned forms', async () => {
      const wire = '/v1/credentials/d%61p/token';
      const header = await signerFor(KEY).sign(
        {
          method: 'GET',
          protocol: 'http:',
          hostname: '127.0.0.1',
          path: wire,
          query: {},
          headers: { host: HOST },
        },
        { signingDate: new Date(NOW) },
      );
      expect(
        await verifierAt().verify({
          method: 'GET',
          path: wire,
          query: '',
          headers: header.headers,
          body: '',
        }),
      ).toMatchObject({ ok: true });
      const presigned = await signerFor(KEY).presign(
        {
          method: 'GET',
          protocol: 'http:',
          hostname: '127.0.0.1',
          path: wire,
          query: {},
          headers: { host: HOST },
        },
        { signingDate: new Date(NOW), expiresIn: 60 },
      );
      const query = Object.entries(presigned.query ?? {})
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
        .join('&');
      expect(
        await verifierAt().verify({ method: 'GET', path: wire, query, headers: { host: HOST }, body: '' }),
      ).toMatchObject({ ok: true });
    });

    it('refuses a signature over the decoded path (a single-encoded canonical URI), as API Gateway does', async () => {
      const single = await signerFor(KEY).sign(
        {
          method: 'GET',
          protocol: 'http:',
          hostname: '127.0.0.1',
          path: '/v1/credentials/my cred/token',
          query: {},
          headers: { host: HOST },
        },
        { signingDate: new Date(NOW) },
      );
      const request = {
        method: 'GET',
        path: '/v1/credentials/my%20cred/token',
        query: '',
        headers: single.headers,
        body: '',
      };
      expect(await verifierAt().verify(request)).toMatchObject({ reason: 'bad-signature' });
    });
  });

  describe('header names that are Object.prototype members', () => {
    const PROTO_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];

    it.each(PROTO_NAMES)(
      'refuses SignedHeaders naming an absent header %s with 403, never a throw',
      async (name) => {
        const request = await signed();
        const authorization = (request.headers.authorization as string).replace(
          'SignedHeaders=',
          `SignedHeaders=${name};`,
        );
        const verdict = await verifierAt().verify({
          ...request,
          headers: { ...request.headers, authorization },
        });
        expect(verdict).toMatchObject({ ok: false });
        expect(verdict.ok === false && verdict.errorType).toMatch(/Signature/);
      },
    );

    it.each(PROTO_NAMES)(
      'accepts a request that really carries and signs a header named %s',
      async (name) => {
        // Object.fromEntries makes `__proto__` an own property, as Node's header parser does.
        const extra = Object.fromEntries([[name, 'value-1']]) as Record<string, string>;
        const request = await signed({ headers: extra });
        expect(request.headers.authorization).toContain(name.toLowerCase());
        expect(await verifierAt().verify(request)).toMatchObject({ ok: true });
      },
    );
  });
});
