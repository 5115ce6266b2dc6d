import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateLocalKey } from '../../../shared/adapters/local/local-key.ts';
import { ConfigInvalidError } from '../../../shared/core/errors.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'broker-local-key-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadOrCreateLocalKey', () => {
  it('creates a random 32-byte key on first use, in a new folder, readable only by its owner', async () => {
    const path = join(dir, 'nested', 'state', 'envelope.key');
    const { key, keyId } = await loadOrCreateLocalKey(path);
    expect(key).toHaveLength(32);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'nested', 'state'))).mode & 0o077).toBe(0);
    expect(Buffer.from((await readFile(path, 'utf8')).trim(), 'base64').equals(key)).toBe(true);
    expect(keyId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('reads the same key and id afterwards', async () => {
    const path = join(dir, 'envelope.key');
    const first = await loadOrCreateLocalKey(path);
    const second = await loadOrCreateLocalKey(path);
    expect(second.key.equals(first.key)).toBe(true);
    expect(second.keyId).toBe(first.keyId);
  });

  it('names the key by a fingerprint that does not reveal it', async () => {
    const { key, keyId } = await loadOrCreateLocalKey(join(dir, 'envelope.key'));
    expect(key.toString('hex')).not.toContain(keyId);
    expect(key.toString('base64')).not.toContain(keyId);
  });

  it('gives concurrent first users one and the same key', async () => {
    const path = join(dir, 'envelope.key');
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateLocalKey(path)));
    for (const { key } of keys) expect(key.equals(keys[0]?.key ?? Buffer.alloc(0))).toBe(true);
  });

  it('refuses a damaged key file without quoting it', async () => {
    const path = join(dir, 'envelope.key');
    const content = 'not-a-key-at-all-but-maybe-someones-secret';
    await writeFile(path, content);
    const error = await loadOrCreateLocalKey(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigInvalidError);
    expect(String(error)).toContain(path);
    expect(JSON.stringify(error) + String(error)).not.toContain(content);
  });

  it('refuses a key of the wrong length', async () => {
    const path = join(dir, 'envelope.key');
    await writeFile(path, `${Buffer.alloc(16, 7).toString('base64')}\n`);
    await expect(loadOrCreateLocalKey(path)).rejects.toBeInstanceOf(ConfigInvalidError);
  });

  it('reports a path it cannot create as invalid configuration', async () => {
    const blocker = join(dir, 'file');
    await writeFile(blocker, 'x');
    await expect(loadOrCreateLocalKey(join(blocker, 'envelope.key'))).rejects.toBeInstanceOf(
      ConfigInvalidError,
    );
  });
});
