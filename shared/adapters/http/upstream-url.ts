/**
 * Joins an API path onto a configured base URL, keeping any path prefix the base carries (a Canvas
 * behind `https://host/canvas`), which `new URL(path, base)` would silently drop for absolute paths.
 */
export const upstreamUrl = (baseUrl: string, path: string): URL => {
  const base = new URL(baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  const url = new URL(base.origin);
  url.pathname = `${prefix}${path.startsWith('/') ? path : `/${path}`}`;
  return url;
};
