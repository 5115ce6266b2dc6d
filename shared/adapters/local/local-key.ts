import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigInvalidError } from '../../core/errors.ts';
import { fingerprint } from '../../core/fingerprint.ts';

export interface LocalKey {
  readonly key: Buffer;
  /** A fingerprint of the key: names it in envelopes without revealing it. */
  readonly keyId: string;
}

const KEY_BYTES = 32;

const errorCode = (error: unknown): unknown =>
  typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;

const wrapIoError = (error: unknown, path: string): unknown =>
  error instanceof ConfigInvalidError
    ? error
    : new ConfigInvalidError(`The local key file ${path} could not be read or created.`, { cause: error });

const readKey = async (path: string): Promise<LocalKey> => {
  const text = await readFile(path, 'utf8');
  const key = Buffer.from(text.trim(), 'base64');
  // Strict round trip: base64 decoding skips junk characters, so a damaged file could otherwise
  // decode to 32 bytes of a different key and fail much later as "cannot decrypt".
  if (key.length !== KEY_BYTES || key.toString('base64') !== text.trim()) {
    key.fill(0);
    throw new ConfigInvalidError(`The local key file ${path} does not hold a base64-encoded 32-byte key.`);
  }
  // Prefixed so the id can never equal the fingerprint of the same text seen in another role.
  return { key, keyId: fingerprint(`local-envelope-key:${text.trim()}`) };
};

/**
 * The local-mode master key: read from `path`, or created there (random, base64, mode 0600, parent
 * folder 0700) on first use. Creation is atomic (write a private temp file, then hard-link it into
 * place, which fails if the file exists), so two processes starting together end up with the same
 * key and nobody ever reads a half-written file.
 */
export const loadOrCreateLocalKey = async (path: string): Promise<LocalKey> => {
  try {
    return await readKey(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw wrapIoError(error, path);
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const key = randomBytes(KEY_BYTES);
  try {
    await writeFile(temp, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    await link(temp, path);
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw wrapIoError(error, path);
    // Another process created it first: use theirs.
  } finally {
    key.fill(0);
    await unlink(temp).catch(() => undefined);
  }
  return readKey(path).catch((error: unknown) => {
    throw wrapIoError(error, path);
  });
};
