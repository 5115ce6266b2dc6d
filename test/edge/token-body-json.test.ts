import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TokenBody } from '../../shared/core/token-body.ts';
import { tokenBodyJson } from '../../shared/edge/token-body-json.ts';

const tokenBody = fc.record<TokenBody>({
  token: fc.oneof(
    fc.string({ minLength: 1 }),
    fc.string({ unit: 'grapheme' }),
    fc.base64String({ minLength: 4 }),
  ),
  tokenType: fc.constant('Bearer'),
  expiresAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  expiresIn: fc.integer({ min: 0, max: 86_400 }),
  credentialId: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
  kind: fc.constantFrom('identity-service', 'canvas-jwt', 'inst-access'),
  fingerprint: fc.stringMatching(/^[0-9a-f]{16}$/),
});

describe('tokenBodyJson', () => {
  it('writes exactly what JSON.stringify writes, for any body', () => {
    fc.assert(fc.property(tokenBody, (body) => tokenBodyJson(body) === JSON.stringify(body)));
  });

  it('stays exact when answers for different tokens alternate (the cached token text is never reused for another)', () => {
    fc.assert(
      fc.property(
        fc.array(tokenBody, { minLength: 2, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (bodies, picks) => {
          for (const pick of picks) {
            const body = bodies[pick % bodies.length]!;
            expect(tokenBodyJson(body)).toBe(JSON.stringify(body));
          }
        },
      ),
    );
  });
});
