/**
 * The `Link` header pointing at the next page: the request's own path and query with `after`
 * set, so `limit` and a list's filters (`?app=`) carry over. Path-absolute (RFC 8288 resolves it
 * against the request's URL), so it stays right behind a proxy that rewrites the host.
 */
export function nextPageLink(requestUrl: string, cursor: string): string {
  const at = requestUrl.indexOf('?');
  // Never `//host/...`, which a client would read as another host.
  const path = (at < 0 ? requestUrl : requestUrl.slice(0, at)).replace(/^\/+/, '/');
  const query = new URLSearchParams(at < 0 ? '' : requestUrl.slice(at + 1));
  query.set('after', cursor);
  return `<${path}?${query}>; rel="next"`;
}
