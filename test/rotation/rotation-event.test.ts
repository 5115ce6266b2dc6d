import { describe, expect, it } from 'vitest';
import { parseRotationEvent } from '../../shared/rotation/rotation-event.ts';

const EVENT = {
  SecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:canvas/broker-AbCdEf',
  ClientRequestToken: 'c0ffee00-1111-4222-8333-444455556666',
  Step: 'createSecret',
};

describe('a Secrets Manager rotation event', () => {
  it('is accepted with its three fields', () => {
    expect(parseRotationEvent(EVENT)).toEqual(EVENT);
  });

  it.each([
    ['not an object', 'createSecret', /must be an object/],
    ['an array', [EVENT], /must be an object/],
    ['missing SecretId', { ...EVENT, SecretId: undefined }, /SecretId/],
    ['a SecretId with spaces', { ...EVENT, SecretId: 'a b' }, /SecretId/],
    ['a short ClientRequestToken', { ...EVENT, ClientRequestToken: 'abc' }, /ClientRequestToken/],
    ['an unknown step', { ...EVENT, Step: 'deleteSecret' }, /Step must be one of/],
  ])('is refused as BAD_REQUEST when %s', (_label, event, message) => {
    expect(() => parseRotationEvent(event)).toThrow(message);
    try {
      parseRotationEvent(event);
    } catch (error) {
      expect((error as { code?: string }).code).toBe('BAD_REQUEST');
    }
  });
});
