import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigInvalidError } from '../../shared/core/errors.ts';

/** `$BROKER_HOME/credentials.json`: what a local caller needs to sign requests to local mode. */
export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  readonly endpoint: string;
}

const ACCESS_KEY_ID = /^AKIA[A-Z2-7]{16}$/;
const SECRET_ACCESS_KEY = /^[A-Za-z0-9+/]{40}$/;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Shaped like an AWS access key pair, so anything that validates key formats accepts it. */
const newKeyPair = (): { accessKeyId: string; secretAccessKey: string } => ({
  accessKeyId: `AKIA${[...randomBytes(16)].map((b) => BASE32[b % 32]).join('')}`,
  secretAccessKey: randomBytes(30).toString('base64'),
});

const readExisting = async (
  path: string,
): Promise<{ accessKeyId: string; secretAccessKey: string } | undefined> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigInvalidError(`The local credentials file ${path} could not be read.`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const file = (parsed ?? {}) as Record<string, unknown>;
  if (
    typeof file.accessKeyId === 'string' &&
    ACCESS_KEY_ID.test(file.accessKeyId) &&
    typeof file.secretAccessKey === 'string' &&
    SECRET_ACCESS_KEY.test(file.secretAccessKey)
  ) {
    return { accessKeyId: file.accessKeyId, secretAccessKey: file.secretAccessKey };
  }
  // Never quote the file: it may hold (part of) a secret key.
  throw new ConfigInvalidError(
    `The local credentials file ${path} is damaged; delete it to have a new key pair created.`,
  );
};

/**
 * Local mode's access key pair: read from `path`, or newly generated (random) when there is none.
 * Nothing is written here: `writeLocalCredentials` saves it once the endpoint is known, so a start
 * that fails early never leaves a file naming a server that is not there.
 */
export const loadOrCreateLocalKeyPair = async (
  path: string,
): Promise<{ readonly accessKeyId: string; readonly secretAccessKey: string }> =>
  (await readExisting(path)) ?? newKeyPair();

/**
 * Saves the local caller's credentials, rewritten at every start with the current endpoint while
 * the key pair stays the same. Atomic (temp file, then rename) with mode 0600 in a 0700 folder:
 * the file holds a secret key.
 */
export const writeLocalCredentials = async (path: string, credentials: LocalCredentials): Promise<void> => {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  // rename replaces the old file with the new one, mode included.
  await rename(temp, path);
};
