/** What the broker can learn from any Instructure error body (contract section 0). Values are raw upstream text: pass them through `safeText` before they reach a message. */
export interface UpstreamErrorBody {
  /** Human-readable messages, in body order. */
  readonly messages: readonly string[];
  /** Canvas auth envelope: `unauthenticated` or `unauthorized`. */
  readonly status?: string;
  /** DAP `{"error":{"type"}}`, e.g. `AccountDisabled`. */
  readonly errorType?: string;
  /** DAP `{"error":{"uuid"}}`: quoted in support requests. */
  readonly errorUuid?: string;
  /** JWT refresh `{"errors":{"jwt":"..."}}`. */
  readonly jwtError?: string;
  /** The plain-text throttling body `403 Forbidden (Rate Limit Exceeded)`. */
  readonly rateLimited: boolean;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const messageOf = (entry: unknown): string | undefined => {
  if (typeof entry === 'string') return entry;
  if (isRecord(entry) && typeof entry.message === 'string') return entry.message;
  return undefined;
};

const messagesOf = (list: readonly unknown[]): string[] =>
  list.map(messageOf).filter((m): m is string => m !== undefined);

/**
 * Reads every error body shape Instructure is known to send: the generic `errors` array, the
 * unauthenticated/unauthorized envelopes, `{"error":"..."}` (with `error_description`),
 * `{"errors":{"jwt":"..."}}`, a bare array, `{"errors":{"message":"..."}}`, per-attribute
 * `{"errors":{"field":[...]}}`, DAP's `{"error":{"type","uuid","message"}}`, and plain text
 * (the rate-limit body, or an HTML error page from a proxy). Never throws.
 */
export const parseUpstreamErrorBody = (text: string): UpstreamErrorBody => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const firstLine = text.split(/\r?\n/).find((line) => line.trim() !== '');
    return {
      messages: firstLine === undefined ? [] : [firstLine.trim()],
      rateLimited: /rate limit exceeded/i.test(text),
    };
  }

  if (Array.isArray(json)) return { messages: messagesOf(json), rateLimited: false };
  if (!isRecord(json)) return { messages: [], rateLimited: false };

  const messages: string[] = [];
  let status: string | undefined;
  let errorType: string | undefined;
  let errorUuid: string | undefined;
  let jwtError: string | undefined;

  if (typeof json.status === 'string') status = json.status;

  const { errors, error } = json;
  if (Array.isArray(errors)) {
    messages.push(...messagesOf(errors));
  } else if (isRecord(errors)) {
    for (const [key, value] of Object.entries(errors)) {
      if (key === 'jwt' && typeof value === 'string') jwtError = value;
      const prefix = key === 'message' ? '' : `${key}: `;
      if (typeof value === 'string') messages.push(`${prefix}${value}`);
      else if (Array.isArray(value)) messages.push(...messagesOf(value).map((m) => `${prefix}${m}`));
    }
  }

  if (typeof error === 'string') {
    messages.push(typeof json.error_description === 'string' ? `${error}: ${json.error_description}` : error);
  } else if (isRecord(error)) {
    if (typeof error.type === 'string') errorType = error.type;
    if (typeof error.uuid === 'string') errorUuid = error.uuid;
    const message = messageOf(error);
    if (message !== undefined) messages.push(message);
  }

  if (messages.length === 0 && typeof json.message === 'string') messages.push(json.message);

  return {
    messages,
    rateLimited: false,
    ...(status === undefined ? {} : { status }),
    ...(errorType === undefined ? {} : { errorType }),
    ...(errorUuid === undefined ? {} : { errorUuid }),
    ...(jwtError === undefined ? {} : { jwtError }),
  };
};
