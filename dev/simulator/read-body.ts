import type { IncomingMessage } from 'node:http';

export type BodyResult =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly reason: 'too-large' | 'aborted' };

/** Past this many bytes the connection is cut instead of drained: answering is not worth it. */
const DISCARD_LIMIT = 16 * 1024 * 1024;

/**
 * Reads a request body up to `limit` bytes. A larger body is drained (so the client gets to read
 * the 413 instead of a reset while still writing) but not kept.
 */
export const readBody = async (req: IncomingMessage, limit: number): Promise<BodyResult> => {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > DISCARD_LIMIT) {
    req.destroy();
    return { ok: false, reason: 'aborted' };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  try {
    for await (const chunk of req) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      size += buffer.length;
      if (size > DISCARD_LIMIT) {
        req.destroy();
        return { ok: false, reason: 'aborted' };
      }
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        continue;
      }
      chunks.push(buffer);
    }
  } catch {
    return { ok: false, reason: 'aborted' };
  }
  if (tooLarge) return { ok: false, reason: 'too-large' };
  return { ok: true, body: Buffer.concat(chunks) };
};
