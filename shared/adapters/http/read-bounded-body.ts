import { UpstreamMalformedError } from '../../core/errors.ts';

/**
 * Reads a response body as UTF-8 text, refusing to buffer more than `maxBytes`. A misbehaving
 * upstream (or something impersonating it) cannot make the broker hold an unbounded body in memory.
 */
export const readBoundedBody = async (
  response: Response,
  maxBytes: number,
  operation: string,
): Promise<string> => {
  const tooLarge = () =>
    new UpstreamMalformedError(`${operation}: response body exceeds ${maxBytes} bytes`, {
      upstreamStatus: response.status,
      details: { operation },
    });

  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (response.body === null) return '';

  const reader = response.body.getReader();
  const decoder = new TextDecoder('utf-8');
  let received = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
};
