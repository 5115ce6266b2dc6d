import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  loadOrCreateLocalKeyPair,
  writeLocalCredentials,
} from '../../../dev/local/local-credentials-file.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-creds-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('the local credentials file', () => {
  it('creates a key pair shaped like an AWS access key', async () => {
    const pair = await loadOrCreateLocalKeyPair(join(dir, 'credentials.json'));
    expect(pair.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(pair.secretAccessKey).toMatch(/^[A-Za-z0-9+/]{40}$/);
  });

  it('keeps the key pair across writes while the endpoint changes', async () => {
    const path = join(dir, 'home', 'credentials.json');
    const pair = await loadOrCreateLocalKeyPair(path);
    await writeLocalCredentials(path, { ...pair, region: 'us-east-1', endpoint: 'http://127.0.0.1:1111' });
    const again = await loadOrCreateLocalKeyPair(path);
    expect(again).toEqual(pair);
    await writeLocalCredentials(path, { ...again, region: 'us-east-1', endpoint: 'http://127.0.0.1:2222' });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      ...pair,
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:2222',
    });
  });

  it('is private to its owner', async () => {
    const path = join(dir, 'home', 'credentials.json');
    const pair = await loadOrCreateLocalKeyPair(path);
    await writeLocalCredentials(path, { ...pair, region: 'us-east-1', endpoint: 'http://127.0.0.1:1' });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'home'))).mode & 0o777).toBe(0o700);
  });

  it('refuses a damaged file without quoting it', async () => {
    const path = join(dir, 'credentials.json');
    await writeFile(path, '{"accessKeyId":"AKIA","secretAccessKey":"half-a-secret-value');
    const error = await loadOrCreateLocalKeyPair(path).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/is damaged; delete it/);
    expect(error?.message).not.toContain('half-a-secret');
  });
});
