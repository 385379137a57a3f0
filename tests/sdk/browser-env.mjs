// What a browser gives the SDK's web (cookie + CSRF) flow, emulated for Node:
// - `document.cookie` for the JS-readable `insforge_csrf_token` cookie the SDK writes itself;
// - a cookie jar in `fetch` for the server's httpOnly refresh cookie (path-scoped, cleared by Max-Age=0).

export function installDocumentCookie() {
  const jar = new Map();
  globalThis.document = {
    get cookie() {
      return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    },
    set cookie(text) {
      const [pair] = text.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      if (/max-age=0/i.test(text)) jar.delete(name);
      else jar.set(name, pair.slice(eq + 1));
    },
  };
}

export function cookieJarFetch() {
  const jar = new Map(); // name -> { value, path }
  const jarFetch = async (input, init = {}) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    const cookies = [...jar].filter(([, c]) => url.pathname.startsWith(c.path)).map(([k, c]) => `${k}=${c.value}`);
    if (cookies.length) headers.set('cookie', cookies.join('; '));
    const response = await fetch(input, { ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const path = attributes.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      if (attributes.some((a) => a.toLowerCase() === 'max-age=0') || value === '') jar.delete(name);
      else jar.set(name, { value, path });
    }
    return response;
  };
  jarFetch.jar = jar;
  return jarFetch;
}
