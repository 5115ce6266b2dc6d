import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

export interface TestKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface SignedFetchOptions {
  readonly method?: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly key?: TestKey;
  /** Signing time (epoch ms); defaults to now. */
  readonly at?: number;
  readonly region?: string;
  /** Skip signing entirely. */
  readonly unsigned?: boolean;
}

/** A raw SigV4-signed fetch, as any AWS SDK caller would send it; `path` may carry a query string. */
export const signedFetch = async (
  baseUrl: string,
  path: string,
  key: TestKey,
  options: SignedFetchOptions = {},
): Promise<{ status: number; headers: Headers; text: string; json: unknown }> => {
  const url = new URL(path, baseUrl);
  const method = options.method ?? (options.body === undefined ? 'GET' : 'POST');
  const headers: Record<string, string> = {
    host: url.host,
    ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    ...options.headers,
  };
  let wire = headers;
  if (!options.unsigned) {
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of url.searchParams) {
      const existing = query[name];
      query[name] =
        existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
    const signer = new SignatureV4({
      credentials: options.key ?? key,
      region: options.region ?? 'us-east-1',
      service: 'execute-api',
      sha256: Hash.bind(null, 'sha256'),
    });
    const signed = await signer.sign(
      {
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: Number(url.port),
        // The wire path, still percent-encoded, as the AWS SDKs sign it (the signer encodes it
        // once more: SigV4's canonical URI for every service but S3).
        path: url.pathname,
        query,
        headers,
        body: options.body,
      },
      { signingDate: new Date(options.at ?? Date.now()) },
    );
    wire = signed.headers;
  }
  const { host: _host, ...sendHeaders } = wire;
  const response = await fetch(url, { method, headers: sendHeaders, body: options.body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
};
