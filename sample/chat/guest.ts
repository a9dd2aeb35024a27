import { randomInt } from 'node:crypto';

/** The cookie of the sample's stand-in for a login session. */
const GUEST_COOKIE = 'sample-guest';
const GUEST = /^guest-\d{4}$/;

/**
 * Who this browser is, for presence (README "Users and presence"). The sample has no
 * login: a browser gets a guest name made by the server, kept in an HttpOnly cookie.
 * A real app reads its own session here (passport, a signed cookie, a JWT) — identify()
 * must never take a name the page sends.
 */
export function guestOf(cookieHeader: string | undefined): {
  user: string;
  setCookie?: string;
} {
  const match = /(?:^|;\s*)sample-guest=([^;]*)/.exec(cookieHeader ?? '');
  if (match && GUEST.test(match[1])) return { user: match[1] };
  const user = `guest-${randomInt(1000, 10000)}`;
  return {
    user,
    setCookie: `${GUEST_COOKIE}=${user}; Path=/; HttpOnly; SameSite=Lax`,
  };
}
