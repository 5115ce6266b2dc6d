const ENTRY = /<([^>]*)>((?:\s*;\s*[^;,]+)*)/g;

/**
 * The `rel="next"` target of a `link` header (`<url>; rel="next", <url>; rel="last"`), or
 * undefined. Canvas page URLs are opaque: the next page comes only from here (contract section 0).
 */
export const nextLink = (header: string | null): string | undefined => {
  if (header === null) return undefined;
  for (const [, url, params] of header.matchAll(ENTRY)) {
    for (const param of (params ?? '').split(';')) {
      const match = /^\s*rel\s*=\s*"?([^"]*)"?\s*$/i.exec(param);
      if (match?.[1]?.toLowerCase().split(/\s+/).includes('next')) return url;
    }
  }
  return undefined;
};
