import { describe, expect, it } from 'vitest';
import type { EnvelopeCipher } from '../../shared/core/envelope-cipher.ts';
import { CipherUnavailableError, DecryptionFailedError } from '../../shared/core/errors.ts';
import { makeLazyEnvelopeCipher } from '../../shared/runtime/lazy-envelope-cipher.ts';

const inner: EnvelopeCipher = {
  seal: async (plaintext) => ({ keyRef: 'k', iv: '', tag: '', ciphertext: plaintext }),
  open: async (envelope) => envelope.ciphertext,
};

describe('makeLazyEnvelopeCipher', () => {
  it('loads nothing until first used, then loads exactly once', async () => {
    let loads = 0;
    const cipher = makeLazyEnvelopeCipher(async () => {
      loads++;
      return inner;
    });
    expect(loads).toBe(0);
    const [a, b] = await Promise.all([cipher.seal('x', {}), cipher.seal('y', {})]);
    expect(await cipher.open(a, {})).toBe('x');
    expect(b.ciphertext).toBe('y');
    expect(loads).toBe(1);
  });

  it('retries a failed load on the next call, reporting it as CIPHER_UNAVAILABLE', async () => {
    let loads = 0;
    const cipher = makeLazyEnvelopeCipher(async () => {
      if (++loads === 1) throw new Error('module not found');
      return inner;
    });
    await expect(cipher.seal('x', {})).rejects.toBeInstanceOf(CipherUnavailableError);
    await expect(cipher.seal('x', {})).resolves.toMatchObject({ ciphertext: 'x' });
    expect(loads).toBe(2);
  });

  it('passes broker errors of the loader and of the cipher through', async () => {
    const failing = makeLazyEnvelopeCipher(async () => {
      throw new DecryptionFailedError('bad key');
    });
    await expect(failing.open({ keyRef: 'k', iv: '', tag: '', ciphertext: '' }, {})).rejects.toBeInstanceOf(
      DecryptionFailedError,
    );
  });
});
