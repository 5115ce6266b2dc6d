import { describe, expect, it } from 'vitest';
import { rotationPurposePrefix } from '../../shared/rotation/rotation-purpose.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:canvas/broker-AbCdEf';

describe('the purpose of a token the rotation creates', () => {
  it('names the broker and a fingerprint of the secret, never the ARN itself', () => {
    const prefix = rotationPurposePrefix(ARN);
    expect(prefix).toMatch(/^canvas-credential-broker rotation [0-9a-f]{16} $/);
    expect(prefix).not.toContain('123456789012');
  });

  it('differs between secrets, so one secret’s rotation never deletes another’s tokens', () => {
    expect(rotationPurposePrefix(ARN)).not.toBe(rotationPurposePrefix(`${ARN}x`));
    expect(rotationPurposePrefix(ARN)).toBe(rotationPurposePrefix(ARN));
  });
});
