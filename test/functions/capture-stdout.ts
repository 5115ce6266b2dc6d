import { vi } from 'vitest';

export interface CapturedStdout {
  readonly lines: string[];
  /** The captured lines parsed as JSON (Powertools logs and EMF documents); others skipped. */
  // biome-ignore lint/suspicious/noExplicitAny: printed JSON is probed field by field
  json(from?: number): Record<string, any>[];
  stop(): void;
}

/**
 * Captures what a function prints (Powertools JSON logs and EMF metrics go to stdout) without
 * echoing it, so a test can parse and scan it. Held for a whole file, through teardown, so any
 * line a teardown makes (a store call failing as the test table stops) belongs to this file's
 * output, not the runner's.
 */
export const captureStdout = (): CapturedStdout => {
  const lines: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    }) as never),
  );
  return {
    lines,
    json: (from = 0) =>
      lines.slice(from).flatMap((line) => {
        try {
          // biome-ignore lint/suspicious/noExplicitAny: as above
          return [JSON.parse(line) as Record<string, any>];
        } catch {
          return [];
        }
      }),
    stop: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
};

/** Compact JOSE and Authorization values: shapes no function output may ever contain. */
export const CREDENTIAL_SHAPES = [
  /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+/,
  /\b(Bearer|Basic) [A-Za-z0-9._~+/=-]{12,}/,
];
