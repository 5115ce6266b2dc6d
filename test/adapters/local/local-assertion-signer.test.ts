import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeLocalAssertionSigner } from '../../../shared/adapters/local/local-assertion-signer.ts';
import { ConfigInvalidError } from '../../../shared/core/errors.ts';
import { buildJwksDocument } from '../../../shared/core/jwks-document.ts';

const claims = {
  iss: 'c',
  sub: 'c',
  aud: 'http://127.0.0.1/login/oauth2/token',
  iat: 1_767_225_600,
  exp: 1_767_225_900,
  jti: 'j',
};
const at = new Date(claims.iat * 1000);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ccb-lti-key-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the local assertion signer', () => {
  it('creates an RSA key file readable by its owner only on first use', async () => {
    const path = join(dir, 'nested', 'lti-signing-key.pem');
    await makeLocalAssertionSigner({ path }).publicJwk();
    const info = await stat(path);
    if (process.platform !== 'win32') expect(info.mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('signs JWTs that verify against its JWKS, the same shape the KMS signer publishes', async () => {
    const signer = makeLocalAssertionSigner({ path: join(dir, 'key.pem') });
    const jws = await signer.sign(claims);
    const jwks = buildJwksDocument({ current: await signer.publicJwk() });
    const { payload } = await jwtVerify(jws, createLocalJWKSet({ keys: [...jwks.keys] }), {
      currentDate: at,
    });
    expect(payload).toEqual(claims);
    expect(Object.keys(jwks.keys[0] ?? {}).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
  });

  it('keeps the key across restarts: a second signer on the same file has the same kid', async () => {
    const path = join(dir, 'key.pem');
    const first = await makeLocalAssertionSigner({ path }).publicJwk();
    const second = makeLocalAssertionSigner({ path });
    expect((await second.publicJwk()).kid).toBe(first.kid);
    await expect(
      jwtVerify(await second.sign(claims), createLocalJWKSet({ keys: [first] }), { currentDate: at }),
    ).resolves.toBeDefined();
  });

  it('ends up with one key when several signers start at once', async () => {
    const path = join(dir, 'key.pem');
    const kids = await Promise.all(
      Array.from({ length: 3 }, async () => (await makeLocalAssertionSigner({ path }).publicJwk()).kid),
    );
    expect(new Set(kids).size).toBe(1);
  });

  it('refuses a key file others can read', async () => {
    if (process.platform === 'win32') return;
    const path = join(dir, 'key.pem');
    await makeLocalAssertionSigner({ path }).publicJwk();
    await chmod(path, 0o644);
    await expect(makeLocalAssertionSigner({ path }).publicJwk()).rejects.toThrow(/0600/);
  });

  it('refuses a file that holds no RSA private key, without quoting it', async () => {
    const path = join(dir, 'key.pem');
    await writeFile(path, 'not a key at all\n', { mode: 0o600 });
    const error = await makeLocalAssertionSigner({ path })
      .publicJwk()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigInvalidError);
    expect(String((error as Error).message)).not.toContain('not a key at all');

    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(path, ec.privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    await expect(makeLocalAssertionSigner({ path }).publicJwk()).rejects.toThrow(/RSA/);
  });

  it('names the key by a fingerprint, never by its contents', async () => {
    const signer = makeLocalAssertionSigner({ path: join(dir, 'key.pem') });
    expect(signer.keyRef).toMatch(/^local:[0-9a-f]{16}$/);
  });
});
