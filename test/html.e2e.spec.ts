import { Controller, Get, Res } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FixtureController,
  page,
  type Reply,
} from './fixtures/fixture.controller';
import { PLATFORM, startApp, type TestApp } from './support/app';
import { connect } from './support/ws-client';

const ID = /^[A-Za-z0-9_-]{44}$/;
const KEY = /^[A-Za-z0-9_-]{64}$/;
const ATTRIBUTE = /data-socket-connection-id="([^"]*)"/g;
const BODY_TAG = /<body\b[^>]*>/gi;
const DEFAULT_MAX_AGE_SECONDS = 365 * 24 * 60 * 60;

interface Fetched {
  status: number;
  contentType: string;
  html: string;
  setCookie: string[];
  headers: Headers;
}

async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<Fetched> {
  const res = await fetch(url, { headers });
  const html = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    html,
    setCookie: res.headers.getSetCookie(),
    headers: res.headers,
  };
}

/** The single `<body …>` tag of a page (fails when there is not exactly one). */
function bodyTag(html: string): string {
  const tags = html.match(BODY_TAG) ?? [];
  expect(tags).toHaveLength(1);
  return tags[0] as string;
}

/** The injected id: the attribute must appear exactly once in the whole page, on the body tag. */
function injectedId(html: string): string {
  const all = [...html.matchAll(ATTRIBUTE)];
  expect(all).toHaveLength(1);
  const onBody = [...bodyTag(html).matchAll(ATTRIBUTE)];
  expect(onBody).toHaveLength(1);
  const id = onBody[0][1];
  expect(id).toMatch(ID);
  return id;
}

function paragraph(html: string, id: string): string | undefined {
  return new RegExp(`<p id="${id}">([^<]*)</p>`).exec(html)?.[1];
}

/** Parses one Set-Cookie line into its value and attributes (attribute names lower-cased). */
function parseCookie(line: string): {
  name: string;
  value: string;
  attributes: Map<string, string | true>;
} {
  const [pair, ...rest] = line.split(';').map((part) => part.trim());
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string | true>();
  for (const part of rest) {
    const at = part.indexOf('=');
    if (at === -1) attributes.set(part.toLowerCase(), true);
    else attributes.set(part.slice(0, at).toLowerCase(), part.slice(at + 1));
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes };
}

/** The one key cookie a response set. */
function keyCookie(
  fetched: Fetched,
  name = 'realtime_key',
): ReturnType<typeof parseCookie> {
  expect(fetched.setCookie).toHaveLength(1);
  const cookie = parseCookie(fetched.setCookie[0]);
  expect(cookie.name).toBe(name);
  expect(cookie.value).toMatch(KEY);
  return cookie;
}

async function whoami(
  t: TestApp,
  headers: Record<string, string>,
  query = '',
): Promise<{ fetched: Fetched; connectionId: string; digest: string }> {
  const fetched = await get(`${t.url}/whoami${query}`, headers);
  expect(fetched.status).toBe(200);
  const body = JSON.parse(fetched.html) as {
    connectionId: string;
    digest: string;
  };
  expect(body.connectionId).toMatch(ID);
  return { fetched, ...body };
}

/** Routes beyond the fixtures, for HTML edge cases. */
@Controller('extra')
class ExtraHtmlController {
  @Get('upper')
  upper(@Res() res: Reply): void {
    res
      .type('text/html; charset=utf-8')
      .send(
        '<!DOCTYPE html><HTML><HEAD><TITLE>upper</TITLE></HEAD><BODY CLASS="page"><H1>upper</H1></BODY></HTML>',
      );
  }

  @Get('text')
  text(@Res() res: Reply): void {
    res.type('text/plain').send('<body>just text</body>');
  }
}

describe('HTML injection with default options', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({}, [FixtureController, ExtraHtmlController]);
  });
  afterAll(async () => {
    await t.close();
  });

  it('a string returned by a controller with an explicit text/html type gets the id the route subscribed with', async () => {
    const res = await get(`${t.url}/room/html-x`);
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/html/);
    const id = injectedId(res.html);
    expect(bodyTag(res.html)).toContain('class="page"');
    const key = keyCookie(res).value;

    // The route subscribed its socket to room:html-x: a socket opened with the page's id
    // (and the cookie) receives pushes on it, so the page's id is the id the route saw.
    const client = await connect(t.url, { connectionId: id, key });
    await t.realtime.push('for the page', 'room:html-x');
    expect(await client.next()).toEqual({
      channel: 'room:html-x',
      payload: 'for the page',
    });
    await client.close();
  });

  it('a string returned with a text/html type gets the attribute once, class kept', async () => {
    const res = await get(`${t.url}/plain`);
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/html/);
    const id = injectedId(res.html);
    const tag = bodyTag(res.html);
    expect(tag).toContain('class="page"');
    expect(tag).toBe(`<body data-socket-connection-id="${id}" class="page">`);
    // Nothing else in the page changed.
    expect(res.html.replace(` data-socket-connection-id="${id}"`, '')).toBe(
      page('plain'),
    );
  });

  it.runIf(PLATFORM === 'express')(
    'a string returned without a content type (Express sends it as HTML) gets the attribute',
    async () => {
      const res = await get(`${t.url}/untyped`);
      expect(res.contentType).toMatch(/^text\/html/);
      const id = injectedId(res.html);
      expect(res.html.replace(` data-socket-connection-id="${id}"`, '')).toBe(
        page('untyped'),
      );
    },
  );

  it.runIf(PLATFORM === 'fastify')(
    'a string returned without a content type is text/plain on Fastify, and left untouched',
    async () => {
      const res = await get(`${t.url}/untyped`);
      expect(res.contentType).toMatch(/^text\/plain/);
      expect(res.html).toBe(page('untyped'));
    },
  );

  it('res.send gets the id the route saw (x-route-id)', async () => {
    const res = await get(`${t.url}/send`);
    expect(res.status).toBe(200);
    const routeId = res.headers.get('x-route-id');
    expect(routeId).toMatch(ID);
    expect(injectedId(res.html)).toBe(routeId);
    expect(bodyTag(res.html)).toContain('class="page"');
  });

  it('@Render gets the id the route saw, also exposed as res.locals.socketConnectionId', async () => {
    const res = await get(`${t.url}/render`);
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/html/);
    const id = injectedId(res.html);
    expect(paragraph(res.html, 'route')).toBe(id);
    expect(paragraph(res.html, 'locals')).toBe(id);
    expect(res.html).toContain('<title>rendered</title>');
  });

  it('JSON responses are not modified, even when they contain "<body>", and set no cookie', async () => {
    const res = await get(`${t.url}/json`);
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^application\/json/);
    expect(res.html).toBe(
      JSON.stringify({ ok: true, body: '<body>not html</body>' }),
    );
    expect(res.html).not.toContain('data-socket-connection-id');
    expect(res.setCookie).toEqual([]);
  });

  it('a text/plain response containing "<body>" is not modified', async () => {
    const res = await get(`${t.url}/extra/text`);
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/plain/);
    expect(res.html).toBe('<body>just text</body>');
  });

  it('an HTML page written with an upper-case <BODY> tag also gets the attribute (HTML tags are case-insensitive)', async () => {
    const res = await get(`${t.url}/extra/upper`);
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/html/);
    const id = injectedId(res.html);
    expect(bodyTag(res.html)).toContain('CLASS="page"');
    expect(id).toMatch(ID);
  });

  it('the first page render sets the key cookie: realtime_key, HttpOnly, SameSite=Lax, Path=/, Max-Age, not Secure on http', async () => {
    const res = await get(`${t.url}/plain`);
    const cookie = keyCookie(res);
    expect(cookie.attributes.get('httponly')).toBe(true);
    expect(cookie.attributes.get('samesite')).toBe('Lax');
    expect(cookie.attributes.get('path')).toBe('/');
    expect(cookie.attributes.get('max-age')).toBe(
      String(DEFAULT_MAX_AGE_SECONDS),
    );
    expect(cookie.attributes.has('secure')).toBe(false);
    // Exact shape of the line as well, so no stray attribute sneaks in.
    expect(res.setCookie[0]).toMatch(
      /^realtime_key=[A-Za-z0-9_-]{64}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/,
    );
  });

  it('X-Forwarded-Proto is ignored for the cookie when trustProxy is off', async () => {
    const res = await get(`${t.url}/plain`, { 'x-forwarded-proto': 'https' });
    expect(keyCookie(res).attributes.has('secure')).toBe(false);
  });

  it('every render gets a fresh id; a request presenting the cookie gets no new Set-Cookie', async () => {
    const first = await get(`${t.url}/render`);
    const key = keyCookie(first).value;
    const firstId = injectedId(first.html);

    const second = await get(`${t.url}/render`, {
      cookie: `realtime_key=${key}`,
    });
    expect(second.setCookie).toEqual([]);
    const secondId = injectedId(second.html);
    const third = await get(`${t.url}/send`, { cookie: `realtime_key=${key}` });
    expect(third.setCookie).toEqual([]);
    const thirdId = injectedId(third.html);
    expect(third.headers.get('x-route-id')).toBe(thirdId);

    expect(new Set([firstId, secondId, thirdId]).size).toBe(3);
  });

  it('an id issued for the key, given as X-Socket-Connection-Id, is the id the route sees (same digest each time)', async () => {
    const pageRes = await get(`${t.url}/plain`);
    const key = keyCookie(pageRes).value;
    const id = injectedId(pageRes.html);

    const a = await whoami(t, {
      cookie: `realtime_key=${key}`,
      'x-socket-connection-id': id,
    });
    expect(a.connectionId).toBe(id);
    expect(a.fetched.setCookie).toEqual([]);
    const b = await whoami(t, {
      cookie: `realtime_key=${key}`,
      'x-socket-connection-id': id,
    });
    expect(b.connectionId).toBe(id);
    expect(b.digest).toBe(a.digest);
  });

  it('an id given as the socket_connection_id query param is used', async () => {
    const pageRes = await get(`${t.url}/plain`);
    const key = keyCookie(pageRes).value;
    const id = injectedId(pageRes.html);

    const who = await whoami(
      t,
      { cookie: `realtime_key=${key}` },
      `?socket_connection_id=${encodeURIComponent(id)}`,
    );
    expect(who.connectionId).toBe(id);

    // The same holds for a page: its body carries the presented id.
    const again = await get(
      `${t.url}/render?socket_connection_id=${encodeURIComponent(id)}`,
      { cookie: `realtime_key=${key}` },
    );
    expect(injectedId(again.html)).toBe(id);
    expect(paragraph(again.html, 'route')).toBe(id);
  });

  it('an id issued for ANOTHER key is not used: a fresh id, bound to the presenting key, is issued', async () => {
    const mine = await get(`${t.url}/plain`);
    const theirs = await get(`${t.url}/plain`);
    const myKey = keyCookie(mine).value;
    const theirKey = keyCookie(theirs).value;
    expect(myKey).not.toBe(theirKey);
    const theirId = injectedId(theirs.html);

    const who = await whoami(t, {
      cookie: `realtime_key=${myKey}`,
      'x-socket-connection-id': theirId,
    });
    expect(who.connectionId).not.toBe(theirId);
    expect(who.connectionId).not.toBe(injectedId(mine.html));

    // The fresh id was issued for my key: presenting it with my key keeps it.
    const back = await whoami(t, {
      cookie: `realtime_key=${myKey}`,
      'x-socket-connection-id': who.connectionId,
    });
    expect(back.connectionId).toBe(who.connectionId);

    // Via the query param too.
    const viaQuery = await whoami(
      t,
      { cookie: `realtime_key=${myKey}` },
      `?socket_connection_id=${theirId}`,
    );
    expect(viaQuery.connectionId).not.toBe(theirId);
  });

  it('a made-up id (right shape, never issued) is replaced by a fresh id', async () => {
    const pageRes = await get(`${t.url}/plain`);
    const key = keyCookie(pageRes).value;
    const madeUp = 'A'.repeat(44);
    expect(madeUp).toMatch(ID);

    const who = await whoami(t, {
      cookie: `realtime_key=${key}`,
      'x-socket-connection-id': madeUp,
    });
    expect(who.connectionId).not.toBe(madeUp);
    const junk = await whoami(t, {
      cookie: `realtime_key=${key}`,
      'x-socket-connection-id': 'not-an-id',
    });
    expect(junk.connectionId).not.toBe('not-an-id');
  });

  it('an id presented without any key is not used: a new key cookie and a fresh id', async () => {
    const pageRes = await get(`${t.url}/plain`);
    const id = injectedId(pageRes.html);
    const who = await whoami(t, { 'x-socket-connection-id': id });
    expect(who.connectionId).not.toBe(id);
    expect(keyCookie(who.fetched).value).not.toBe(keyCookie(pageRes).value);
  });

  it('a non-browser client presenting X-Socket-Key keeps its id and gets no cookie', async () => {
    const pageRes = await get(`${t.url}/plain`);
    const key = keyCookie(pageRes).value;
    const id = injectedId(pageRes.html);
    const who = await whoami(t, {
      'x-socket-key': key,
      'x-socket-connection-id': id,
    });
    expect(who.connectionId).toBe(id);
    expect(who.fetched.setCookie).toEqual([]);
  });

  it('the key is never readable by page scripts: only in an HttpOnly Set-Cookie, never in the HTML', async () => {
    for (const path of ['/plain', '/room/secret', '/send', '/render']) {
      const res = await get(`${t.url}${path}`);
      const cookie = keyCookie(res);
      expect(cookie.attributes.get('httponly')).toBe(true);
      expect(res.html).not.toContain(cookie.value);
      // Nor in any other response header.
      for (const [name, value] of res.headers) {
        if (name.toLowerCase() !== 'set-cookie')
          expect(value).not.toContain(cookie.value);
      }
      // And not when the key is presented either.
      const again = await get(`${t.url}${path}`, {
        cookie: `realtime_key=${cookie.value}`,
      });
      expect(again.status).toBe(200);
      expect(again.html).not.toContain(cookie.value);
    }
  });
});

describe('key cookie behind a trusted proxy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ trustProxy: true });
  });
  afterAll(async () => {
    await t.close();
  });

  it('is Secure when X-Forwarded-Proto says https', async () => {
    const res = await get(`${t.url}/plain`, { 'x-forwarded-proto': 'https' });
    const cookie = keyCookie(res);
    expect(cookie.attributes.get('secure')).toBe(true);
    expect(cookie.attributes.get('httponly')).toBe(true);
    expect(res.html).not.toContain(cookie.value);
  });

  it('is not Secure on plain http', async () => {
    const res = await get(`${t.url}/plain`);
    expect(keyCookie(res).attributes.has('secure')).toBe(false);
  });
});

describe('key cookie with custom options', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({
      cookie: { name: 'rk', sameSite: 'strict', maxAge: 0 },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('is named rk, SameSite=Strict, a session cookie (no Max-Age)', async () => {
    const res = await get(`${t.url}/render`);
    const cookie = keyCookie(res, 'rk');
    expect(res.setCookie[0]).toMatch(/^rk=[A-Za-z0-9_-]{64}; /);
    expect(cookie.attributes.get('samesite')).toBe('Strict');
    expect(cookie.attributes.has('max-age')).toBe(false);
    expect(cookie.attributes.has('expires')).toBe(false);
    expect(cookie.attributes.get('httponly')).toBe(true);
    expect(cookie.attributes.get('path')).toBe('/');
    expect(cookie.attributes.has('secure')).toBe(false);
    expect(paragraph(res.html, 'locals')).toBe(injectedId(res.html));
  });

  it('reads the key back from the rk cookie (and not from realtime_key)', async () => {
    const first = await get(`${t.url}/plain`);
    const key = keyCookie(first, 'rk').value;
    const id = injectedId(first.html);

    const who = await whoami(t, {
      cookie: `rk=${key}`,
      'x-socket-connection-id': id,
    });
    expect(who.connectionId).toBe(id);
    expect(who.fetched.setCookie).toEqual([]);

    const wrongName = await whoami(t, {
      cookie: `realtime_key=${key}`,
      'x-socket-connection-id': id,
    });
    expect(wrongName.connectionId).not.toBe(id);
    expect(keyCookie(wrongName.fetched, 'rk').value).not.toBe(key);
  });
});

describe('key cookie with a sub-second maxAge', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ cookie: { maxAge: 500 } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('never sends Max-Age=0 (which makes the browser delete the cookie at once)', async () => {
    const res = await get(`${t.url}/plain`);
    const cookie = keyCookie(res);
    // 500 ms rounds up to one second, never down to 0 (and is never left out).
    expect(cookie.attributes.get('max-age')).toBe('1');
  });
});

describe('injectConnectionId: false', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ injectConnectionId: false });
  });
  afterAll(async () => {
    await t.close();
  });

  it('leaves string pages and res.send pages untouched', async () => {
    const plain = await get(`${t.url}/plain`);
    expect(plain.status).toBe(200);
    expect(plain.html).toBe(page('plain'));
    expect(plain.html).not.toContain('data-socket-connection-id');

    const sent = await get(`${t.url}/send`);
    expect(sent.html).toBe(page('send'));
    expect(sent.headers.get('x-route-id')).toMatch(ID);
    // The route still resolved a socket, so the key cookie was set.
    expect(keyCookie(sent).attributes.get('httponly')).toBe(true);
  });

  it('@Render pages still get the id through res.locals.socketConnectionId', async () => {
    const res = await get(`${t.url}/render`);
    expect(res.status).toBe(200);
    expect(res.html).not.toContain('data-socket-connection-id');
    const locals = paragraph(res.html, 'locals');
    expect(locals).toMatch(ID);
    expect(paragraph(res.html, 'route')).toBe(locals);
    const cookie = keyCookie(res);
    expect(res.html).not.toContain(cookie.value);
  });
});
