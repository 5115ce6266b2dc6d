import { describe, expect, it } from 'vitest';
import { functionEnv } from '../../bench/p4-bundles.ts';
import { loadJwksEnvironment } from '../../shared/runtime/load-jwks-environment.ts';
import { loadApiBinding, loadLambdaEnvironment } from '../../shared/runtime/load-lambda-environment.ts';
import { loadRotationEnvironment } from '../../shared/runtime/load-rotation-environment.ts';

// P4 times each function's cold start in this environment. An init that throws is over early, and
// its time is not a cold start: from issue 13 until this test, token-api's and jwks's inits stopped
// at CONFIG_INVALID and P4 reported their time.
describe('the Lambda-like environment P4 measures inits in', () => {
  it('is one every function’s environment loader accepts', () => {
    const env = functionEnv();
    expect(() => loadLambdaEnvironment(env)).not.toThrow();
    expect(() => loadApiBinding(env)).not.toThrow();
    expect(() => loadJwksEnvironment(env)).not.toThrow();
    expect(() => loadRotationEnvironment(env)).not.toThrow();
  });
});
