/** A page fetched like a browser does: the id from <body>, the key from Set-Cookie. */
export interface Page {
  status: number;
  html: string;
  connectionId: string | undefined;
  setCookie: string[];
  key: string | undefined;
}

export const BODY_ID = /<body[^>]*\sdata-socket-connection-id="([^"]+)"/i;

export function keyFromCookies(
  setCookie: string[],
  name = 'realtime_key',
): string | undefined {
  for (const cookie of setCookie) {
    const match = new RegExp(`^${name}=([^;]*)`).exec(cookie);
    if (match) return match[1];
  }
  return undefined;
}

/** GETs a page, presenting `key` as the cookie when given (a browser's cookie jar). */
export async function getPage(
  url: string,
  key?: string,
  headers: Record<string, string> = {},
): Promise<Page> {
  const res = await fetch(url, {
    headers: { ...headers, ...(key ? { cookie: `realtime_key=${key}` } : {}) },
  });
  const html = await res.text();
  const setCookie = res.headers.getSetCookie();
  return {
    status: res.status,
    html,
    connectionId: BODY_ID.exec(html)?.[1],
    setCookie,
    key: keyFromCookies(setCookie) ?? key,
  };
}

/** POSTs JSON as the client view (key cookie + X-Socket-Connection-Id). */
export async function postJson(
  url: string,
  body: unknown,
  key?: string,
  connectionId?: string,
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
  };
  if (key) headers.cookie = `realtime_key=${key}`;
  if (connectionId) headers['x-socket-connection-id'] = connectionId;
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
