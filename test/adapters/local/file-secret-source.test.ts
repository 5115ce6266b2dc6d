import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeFileSecretSource } from '../../../shared/adapters/local/file-secret-source.ts';
import {
  BrokerError,
  SecretMalformedError,
  SecretNotFoundError,
  SecretUnavailableError,
} from '../../../shared/core/errors.ts';
import { findCanaryLeaks, makeCanary } from '../../support/canary.ts';

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'broker-secrets-'));
  path = join(dir, 'secrets.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const canary = () => makeCanary('secret');
const write = (content: unknown) =>
  writeFile(path, typeof content === 'string' ? content : JSON.stringify(content), 'utf8');

const rejectionOf = async (promise: Promise<unknown>): Promise<BrokerError> => {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerError);
    return error as BrokerError;
  }
  throw new Error('expected the read to fail');
};

const expectNoLeak = (error: BrokerError, secret: string) => {
  const views = [error.message, String(error), JSON.stringify(error), inspect(error, { depth: 10 })];
  expect(findCanaryLeaks(views, [secret])).toEqual([]);
};

describe('file secret source', () => {
  it('reads one entry’s fields', async () => {
    await write({ 'canvas/dev': { clientId: '170000000000001', clientSecret: 'shh' }, other: { a: 'b' } });
    const source = makeFileSecretSource({ path });
    await expect(source.get('canvas/dev')).resolves.toMatchObject({
      fields: { clientId: '170000000000001', clientSecret: 'shh' },
    });
  });

  it('gives an unchanged entry the same short version id, whatever the key order', async () => {
    const source = makeFileSecretSource({ path });
    await write({ s: { a: '1', b: '2' } });
    const first = await source.get('s');
    await write({ s: { b: '2', a: '1' }, unrelated: { x: 'y' } });
    const second = await source.get('s');
    expect(first.versionId).toMatch(/^[0-9a-f]{16}$/);
    expect(second.versionId).toBe(first.versionId);
  });

  it('reads the file on every get, so an edit is a new version', async () => {
    const source = makeFileSecretSource({ path });
    await write({ s: { accessToken: 'old' } });
    const before = await source.get('s');
    await write({ s: { accessToken: 'new' } });
    const after = await source.get('s');
    expect(after.fields.accessToken).toBe('new');
    expect(after.versionId).not.toBe(before.versionId);
  });

  it('does not reveal the value through its version id', async () => {
    const secret = canary();
    await write({ s: { accessToken: secret } });
    const { versionId } = await makeFileSecretSource({ path }).get('s');
    expect(secret).not.toContain(versionId);
  });

  it('stringifies numeric fields', async () => {
    await write({ s: { clientId: 170000000000001 } });
    await expect(makeFileSecretSource({ path }).get('s')).resolves.toMatchObject({
      fields: { clientId: '170000000000001' },
    });
  });

  it('reports a missing file as a missing secret', async () => {
    const error = await rejectionOf(makeFileSecretSource({ path }).get('s'));
    expect(error).toBeInstanceOf(SecretNotFoundError);
    expect(error.message).toContain('s');
  });

  it('reports a missing entry as a missing secret, even one named like an Object method', async () => {
    await write({ s: { a: 'b' } });
    const source = makeFileSecretSource({ path });
    await expect(source.get('other')).rejects.toBeInstanceOf(SecretNotFoundError);
    await expect(source.get('toString')).rejects.toBeInstanceOf(SecretNotFoundError);
    await expect(source.get('__proto__')).rejects.toBeInstanceOf(SecretNotFoundError);
  });

  it('reports a path that is not a readable file as unavailable', async () => {
    await expect(makeFileSecretSource({ path: dir }).get('s')).rejects.toBeInstanceOf(SecretUnavailableError);
  });

  describe('refuses malformed content without quoting it', () => {
    const cases: Array<[string, (secret: string) => string]> = [
      ['a file that is not JSON', (s) => `{"s": {"accessToken": ${s}}}`],
      ['a file that is a JSON array', (s) => JSON.stringify([s])],
      ['an entry that is a string', (s) => JSON.stringify({ s })],
      ['a field that is an object', (s) => JSON.stringify({ s: { accessToken: { value: s } } })],
      ['a field that is a list', (s) => JSON.stringify({ s: { accessToken: [s] } })],
    ];
    for (const [label, content] of cases) {
      it(`such as ${label}`, async () => {
        const secret = canary();
        await write(content(secret));
        const error = await rejectionOf(makeFileSecretSource({ path }).get('s'));
        expect(error).toBeInstanceOf(SecretMalformedError);
        expectNoLeak(error, secret);
      });
    }
  });

  it('names the offending field', async () => {
    await write({ s: { accessToken: true } });
    const error = await rejectionOf(makeFileSecretSource({ path }).get('s'));
    expect(error.message).toContain('"accessToken"');
    expect(error.details).toMatchObject({ field: 'accessToken', secretId: 's' });
  });

  it('rejects with the caller’s reason when its signal is already aborted', async () => {
    await write({ s: { a: 'b' } });
    const reason = new Error('caller gave up');
    await expect(makeFileSecretSource({ path }).get('s', { signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
  });
});
