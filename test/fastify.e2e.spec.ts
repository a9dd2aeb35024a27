import {
  Controller,
  Get,
  Header,
  HttpCode,
  Post,
  Req,
  Res,
  type INestApplication,
} from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealtimeModule, RealtimeService } from '../src';
import { FixtureController, page } from './fixtures/fixture.controller';
import { startApp, type TestApp } from './support/app';
import { getPage, keyFromCookies } from './support/http-client';
import { openView } from './support/views';

const load = createRequire(__filename);

interface FastifyRequestLike {
  raw: object;
  cookies?: Record<string, string>;
}
interface FastifyReplyLike {
  setCookie(name: string, value: string, options?: object): FastifyReplyLike;
  type(contentType: string): FastifyReplyLike;
  send(body: string): void;
}

/** Routes that use what only Fastify has: @fastify/cookie, the raw request. */
@Controller('fastify')
class FastifyOnlyController {
  constructor(private readonly realtime: RealtimeService) {}

  /** The app sets a cookie of its own with @fastify/cookie, in the response that sets the key cookie. */
  @Get('own-cookie')
  ownCookie(
    @Res() reply: FastifyReplyLike,
    @Req() req: FastifyRequestLike,
  ): void {
    const socket = this.realtime.socket(req as never);
    reply
      .setCookie('theme', 'dark', { path: '/' })
      .type('text/html; charset=utf-8')
      .send(page(`own ${socket.connectionId}`));
  }

  /** An HTML reply to a POST, without @Socket(): the injected id comes from what the request presents. */
  @Post('form')
  @HttpCode(200)
  @Header('Content-Type', 'text/html; charset=utf-8')
  form(): string {
    return page('form');
  }

  /** What @fastify/cookie parsed from the request. */
  @Get('cookies')
  cookies(@Req() req: FastifyRequestLike): Record<string, string> {
    return { ...req.cookies };
  }

  /** RealtimeService.socket() with the Fastify request and with its raw request: one context. */
  @Get('both')
  @Header('Content-Type', 'text/html; charset=utf-8')
  both(@Req() req: FastifyRequestLike): string {
    const viaRequest = this.realtime.socket(req as never);
    const viaRaw = this.realtime.socket(req.raw as never);
    return page(
      `${viaRequest.connectionId === viaRaw.connectionId} ${viaRaw.connectionId}`,
    );
  }
}

describe('Fastify: what only Fastify apps have', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({}, [FixtureController, FastifyOnlyController], [], {
      platform: 'fastify',
      setup: async (app) => {
        await (app as unknown as NestFastifyApplication).register(
          load('@fastify/cookie') as never,
        );
      },
    });
  });
  afterAll(() => t.close());

  it('with @fastify/cookie registered, the key cookie and the app own cookie are both set', async () => {
    const res = await getPage(`${t.url}/fastify/own-cookie`);
    expect(res.status).toBe(200);
    expect(res.setCookie).toHaveLength(2);
    expect(res.setCookie.some((c) => c.startsWith('theme=dark'))).toBe(true);
    const key = keyFromCookies(res.setCookie) as string;
    expect(key).toHaveLength(64);
    // The page carries the id the route saw, and it was issued for that key.
    expect(res.html).toContain(`own ${res.connectionId}`);
    // @fastify/cookie parses the key cookie like any other.
    const parsed = (await (
      await fetch(`${t.url}/fastify/cookies`, {
        headers: { cookie: `realtime_key=${key}; theme=dark` },
      })
    ).json()) as Record<string, string>;
    expect(parsed).toEqual({ realtime_key: key, theme: 'dark' });
  });

  it('an id presented in a parsed JSON body is the one injected into an HTML reply', async () => {
    const first = await getPage(`${t.url}/plain`);
    const res = await fetch(`${t.url}/fastify/form`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: `realtime_key=${first.key}`,
      },
      body: JSON.stringify({ socket_connection_id: first.connectionId }),
    });
    const html = await res.text();
    expect(html).toContain(`data-socket-connection-id="${first.connectionId}"`);
  });

  it('RealtimeService.socket() gives one context for the Fastify request and its raw request', async () => {
    const res = await getPage(`${t.url}/fastify/both`);
    expect(res.html).toContain(`true ${res.connectionId}`);
    expect(res.setCookie).toHaveLength(1);
  });

  it('page render, subscribe, socket, push: the view gets the push', async () => {
    const { client, id } = await openView(t, '/room/fastify');
    expect(id).toMatch(/^[\w-]{40,}$/);
    await t.realtime.push({ hello: 'fastify' }, 'room:fastify');
    expect(await client.next()).toEqual({
      channel: 'room:fastify',
      payload: { hello: 'fastify' },
    });
    await client.close();
  });
});

describe('platforms the module cannot serve', () => {
  it('fail boot with a message that names the platform and says why', async () => {
    /** An HTTP adapter of a platform the module does not know. */
    class OtherAdapter extends ExpressAdapter {
      override getType(): string {
        return 'koa';
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [RealtimeModule.forRoot()],
    }).compile();
    const app: INestApplication = moduleRef.createNestApplication(
      new OtherAdapter(),
      { logger: false },
    );
    await expect(app.init()).rejects.toThrow(
      /HTTP platform "koa" is not supported.*platform-express and @nestjs\/platform-fastify/,
    );
    await app.close();
  });
});
