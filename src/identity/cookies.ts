/** What the key cookie is made of (the `cookie` option, resolved). */
export interface KeyCookieOptions {
  name: string;
  secure: boolean | 'auto';
  sameSite: 'lax' | 'strict' | 'none';
  path: string;
  maxAge: number;
}

/** Reads one cookie from a raw `Cookie` header (upgrade requests never see cookie-parser). */
export function readCookie(
  header: string | string[] | undefined,
  name: string,
): string | undefined {
  if (!header) return undefined;
  const raw = Array.isArray(header) ? header.join('; ') : header;
  let start = 0;
  while (start < raw.length) {
    let end = raw.indexOf(';', start);
    if (end === -1) end = raw.length;
    const eq = raw.indexOf('=', start);
    if (eq !== -1 && eq < end && raw.slice(start, eq).trim() === name) {
      let value = raw.slice(eq + 1, end).trim();
      if (value.length > 1 && value.startsWith('"') && value.endsWith('"'))
        value = value.slice(1, -1);
      return value;
    }
    start = end + 1;
  }
  return undefined;
}

/** `Set-Cookie` value for the socket key: HttpOnly, so page scripts never read it. */
export function serializeKeyCookie(
  key: string,
  options: KeyCookieOptions,
  secure: boolean,
): string {
  let cookie = `${options.name}=${key}; Path=${options.path}; HttpOnly; SameSite=${options.sameSite[0].toUpperCase()}${options.sameSite.slice(1)}`;
  if (options.maxAge > 0)
    cookie += `; Max-Age=${Math.ceil(options.maxAge / 1000)}`;
  if (secure) cookie += '; Secure';
  return cookie;
}
