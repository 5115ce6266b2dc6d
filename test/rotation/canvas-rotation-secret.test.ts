import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BrokerError } from '../../shared/core/errors.ts';
import {
  readCanvasRotationSecret,
  writeCanvasRotationSecret,
} from '../../shared/rotation/canvas-rotation-secret.ts';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:canvas/broker-AbCdEf';

describe('the rotated Canvas secret value', () => {
  it('reads the token, its id and the user, defaulting the user to self', () => {
    const value = readCanvasRotationSecret(SECRET, 'v-1', '{"accessToken":"1~abcdef","tokenId":42}');
    expect(value).toMatchObject({ versionId: 'v-1', accessToken: '1~abcdef', tokenId: '42', userId: 'self' });
  });

  it('writes the new token and id over the old ones and keeps every other field', () => {
    const old = readCanvasRotationSecret(
      SECRET,
      'v-1',
      JSON.stringify({
        accessToken: '1~old00',
        tokenId: '7',
        userId: '12',
        tokenHint: '1~old',
        owner: 'platform',
      }),
    );
    expect(JSON.parse(writeCanvasRotationSecret(old, { accessToken: '1~newtoken', tokenId: '8' }))).toEqual({
      accessToken: '1~newtoken',
      tokenId: '8',
      userId: '12',
      tokenHint: '1~new',
      owner: 'platform',
    });
  });

  it('adds no hint field to a secret that had none', () => {
    const old = readCanvasRotationSecret(SECRET, 'v-1', '{"accessToken":"1~old00"}');
    expect(JSON.parse(writeCanvasRotationSecret(old, { accessToken: '1~newtoken', tokenId: '8' }))).toEqual({
      accessToken: '1~newtoken',
      tokenId: '8',
    });
  });

  it.each([
    ['text that is not JSON', (s: string) => `{"accessToken": ${s}`],
    ['a JSON array', (s: string) => JSON.stringify([s])],
    ['no access token', (s: string) => JSON.stringify({ clientSecret: s })],
    ['a token id that is not an id', (s: string) => JSON.stringify({ accessToken: s, tokenId: { id: 1 } })],
    ['an empty user id', (s: string) => JSON.stringify({ accessToken: s, userId: '' })],
  ])('refuses %s as SECRET_MALFORMED without quoting the value', (_label, make) => {
    const secret = `canary-${randomUUID()}`;
    let caught: unknown;
    try {
      readCanvasRotationSecret(SECRET, 'v-1', make(secret));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BrokerError);
    const error = caught as BrokerError;
    expect(error.code).toBe('SECRET_MALFORMED');
    expect(error.message).toContain(SECRET);
    expect(`${error.message} ${JSON.stringify(error)} ${String(error.cause)}`).not.toContain(secret);
  });
});
