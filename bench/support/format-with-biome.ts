import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

/**
 * Formats a file the repository's way, so `biome check .` (part of `npm test`) stays green after a
 * benchmark run rewrites bench/results.json (JSON.stringify expands every short array). Returns a
 * problem description instead of throwing: an unformatted results file is still a valid result.
 */
export const formatWithBiome = (path: string): string | undefined => {
  let bin: string;
  try {
    bin = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
  } catch {
    return 'biome is not installed';
  }
  const run = spawnSync(process.execPath, [bin, 'format', '--write', path], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return run.status === 0 ? undefined : `biome format exited with ${run.status ?? run.signal}`;
};
