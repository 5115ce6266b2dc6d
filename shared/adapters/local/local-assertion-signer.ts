import {
  createPrivateKey,
  generateKeyPair as generateKeyPairCb,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { type AssertionSigner, makeAssertionSigner } from '../../core/assertion-signer.ts';
import { ConfigInvalidError } from '../../core/errors.ts';
import { fingerprint } from '../../core/fingerprint.ts';
import { rsaPublicJwk } from '../crypto/rsa-public-jwk.ts';

const generateKeyPair = promisify(generateKeyPairCb);

export interface LocalAssertionSignerOptions {
  /** PEM (PKCS#8) RSA private key; created on first use when missing. */
  readonly path: string;
  /** Size of a key created here; default 2048. An existing file keeps its own size (2048 or 3072). */
  readonly modulusLength?: 2048 | 3072;
}

const errorCode = (error: unknown): unknown =>
  typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;

const unreadable = (path: string, cause?: unknown) =>
  new ConfigInvalidError(`The local signing key file ${path} could not be read or created.`, {
    ...(cause === undefined ? {} : { cause }),
  });

const readPrivateKey = async (path: string): Promise<KeyObject> => {
  const info = await stat(path);
  // Like ssh: a private key others can read is refused rather than used (POSIX modes only).
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
    throw new ConfigInvalidError(
      `The local signing key file ${path} must be readable by its owner only (mode 0600).`,
    );
  }
  const pem = await readFile(path, 'utf8');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // No cause: the parser's message could quote part of the key.
    throw new ConfigInvalidError(`The local signing key file ${path} does not hold a PEM private key.`);
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new ConfigInvalidError(`The local signing key file ${path} does not hold an RSA key.`);
  }
  return key;
};

/**
 * Reads the key at `path`, or creates it there (mode 0600, folder 0700) on first use. Creation is
 * atomic (a private temp file hard-linked into place, which fails if the file exists), so two
 * processes starting together end up with the same key and nobody reads a half-written file.
 */
export const loadOrCreateSigningKey = async (
  path: string,
  modulusLength: 2048 | 3072 = 2048,
): Promise<KeyObject> => {
  try {
    return await readPrivateKey(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT')
      throw error instanceof ConfigInvalidError ? error : unreadable(path, error);
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const { privateKey } = await generateKeyPair('rsa', { modulusLength, publicExponent: 0x10001 });
  try {
    await writeFile(temp, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
    await link(temp, path);
  } catch (error) {
    // Another process created it first: use theirs.
    if (errorCode(error) !== 'EEXIST') throw unreadable(path, error);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  return readPrivateKey(path).catch((error: unknown) => {
    throw error instanceof ConfigInvalidError ? error : unreadable(path, error);
  });
};

/**
 * Local mode's assertion signer: the same RS256 JWS and the same JWKS shape as the KMS signer, with
 * the key in a local file instead of KMS (local mode has no AWS account). The key is loaded once;
 * a failed load is retried on the next call.
 */
export const makeLocalAssertionSigner = ({
  path,
  modulusLength = 2048,
}: LocalAssertionSignerOptions): AssertionSigner => {
  if (typeof path !== 'string' || path === '') {
    throw new ConfigInvalidError('A path is required for the local signing key.');
  }
  let loaded:
    | Promise<{ readonly key: KeyObject; readonly jwk: Awaited<ReturnType<typeof rsaPublicJwk>> }>
    | undefined;
  const load = () => {
    if (!loaded) {
      const attempt = loadOrCreateSigningKey(path, modulusLength).then(async (key) => {
        try {
          return { key, jwk: await rsaPublicJwk(key) };
        } catch (error) {
          throw new ConfigInvalidError(
            `The local signing key in ${path} is not a 2048 or 3072-bit RSA key.`,
            {
              cause: error,
            },
          );
        }
      });
      loaded = attempt;
      attempt.catch(() => {
        if (loaded === attempt) loaded = undefined;
      });
    }
    return loaded;
  };
  return makeAssertionSigner({
    // Names the file, never the key: the path is not secret, and the fingerprint tells keys apart.
    keyRef: `local:${fingerprint(`local-signing-key:${path}`)}`,
    publicJwk: async () => (await load()).jwk,
    signRs256: async ({ message }) => sign('sha256', message, (await load()).key),
  });
};
