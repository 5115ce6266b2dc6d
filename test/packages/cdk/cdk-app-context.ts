import { readFileSync } from 'node:fs';

/** The feature flags `cdk synth` runs with, so tests synthesize what the CLI would. */
export const cdkAppContext = (): Record<string, unknown> => {
  const cdkJson = JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
};
