import type { UpstreamResponse } from './upstream-response.ts';

/**
 * The moment a token was issued, as the broker should believe it (contract section 6).
 *
 * With a `Date` header: the upstream's clock at the moment the request left, estimated as
 * `Date - (receivedAt - sentAt)`. Date is truncated to the second and stamped after the request was
 * handled, so subtracting the whole round trip can only err early, and every broker instance,
 * whatever its own clock skew, lands on the same upstream timeline. Without one: the local send
 * time, so a slow response never lengthens the believed lifetime.
 */
export const responseAnchor = (response: UpstreamResponse): number => {
  const date = upstreamDate(response);
  return date === undefined ? response.sentAt : date - Math.max(0, response.receivedAt - response.sentAt);
};

/** The response's `Date` in epoch ms, when present and parsable. */
export const upstreamDate = (response: UpstreamResponse): number | undefined => {
  const header = response.headers.get('date');
  if (header === null) return undefined;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : at;
};
