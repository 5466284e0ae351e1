// Whether a request is for a map tile, for the service worker's tile cache (vite.config.ts). The
// tile host is whatever the reader configured (tiles.ts), so a tile is recognised by what it is:
// an image whose path ends in z/x/y ("/15/17352/10115.png", "/15/17352/10115@2x.webp") or whose
// query has z, x and y. Workbox copies this function's source into the service worker, so it must
// not use anything outside its own body.

export function isTileRequest({ request, url }: { request: { destination: string }; url: URL }): boolean {
  if (request.destination !== 'image') return false;
  if (/\/\d{1,2}\/\d{1,8}\/\d{1,8}(?:@\dx)?(?:\.[a-z0-9]{2,5})?$/i.test(url.pathname)) return true;
  const q = url.searchParams;
  return /^\d{1,2}$/.test(q.get('z') ?? '') && /^\d{1,8}$/.test(q.get('x') ?? '') && /^\d{1,8}$/.test(q.get('y') ?? '');
}
