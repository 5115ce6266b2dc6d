/** Canvas renders timestamps as ISO 8601 in UTC without fractional seconds. */
export const canvasTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Parses a client-supplied timestamp the way Rails would accept it; undefined when unreadable. */
export const parseCanvasTime = (text: string): number | undefined => {
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim())) return undefined;
  const ms = Date.parse(text.trim());
  return Number.isFinite(ms) ? ms : undefined;
};
