import { Console } from 'node:console';
import { Writable } from 'node:stream';

export interface OutputSink {
  /** Lines written since the last `drain()`, when capturing; always empty when discarding. */
  drain(): string[];
  readonly bytes: number;
  readonly writes: number;
}

export interface RedirectableConsole {
  /** Powertools Logger and Metrics keep their own `Console` on stdout in this (private) field. */
  console: Console;
}

/**
 * Points a Powertools Logger's or Metrics' output at a sink instead of stdout: every log line and
 * EMF document is still built and written through a real `Console` (so its cost is measured), but
 * the bytes go nowhere (or to a buffer, to check what would have been printed).
 */
export const redirectOutput = (targets: readonly unknown[], capture: boolean): OutputSink => {
  let lines: string[] = [];
  let bytes = 0;
  let writes = 0;
  const stream = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      writes++;
      bytes += chunk.length;
      if (capture) lines.push(String(chunk));
      callback();
    },
  });
  const console = new Console({ stdout: stream, stderr: stream });
  for (const target of targets) (target as RedirectableConsole).console = console;
  return {
    drain: () => {
      const taken = lines;
      lines = [];
      return taken;
    },
    get bytes() {
      return bytes;
    },
    get writes() {
      return writes;
    },
  };
};
