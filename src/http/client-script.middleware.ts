import { Injectable, Logger, type NestMiddleware } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';

interface Script {
  body: Buffer;
  etag: string;
}

/** Where `npm run build` puts the IIFE: beside the compiled server code, or in dist/ when running from src/. */
const CANDIDATES = [
  join(__dirname, '..', 'client', 'realtime.iife.js'),
  join(__dirname, '..', '..', 'dist', 'client', 'realtime.iife.js'),
];

/**
 * `GET <clientPath>`: the browser client as a script defining `window.Realtime`, with
 * an ETag (revalidated with 304) and an hour of caching.
 */
@Injectable()
export class ClientScriptMiddleware implements NestMiddleware {
  private readonly logger = new Logger('Realtime');
  private script: Script | null | undefined;

  use(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const script = this.load();
    if (!script) return next();
    res.setHeader('Content-Type', 'application/javascript; charset=utf-8');
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.setHeader('ETag', script.etag);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (req.headers['if-none-match'] === script.etag) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.setHeader('Content-Length', script.body.length);
    res.statusCode = 200;
    res.end(req.method === 'HEAD' ? undefined : script.body);
  }

  private load(): Script | null {
    if (this.script !== undefined) return this.script;
    for (const file of CANDIDATES) {
      try {
        const body = readFileSync(file);
        return (this.script = {
          body,
          etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
        });
      } catch {
        // try the next place
      }
    }
    this.logger.warn(
      'The browser client script was not found (run `npm run build` in nestjs-realtime); clientPath answers 404',
    );
    return (this.script = null);
  }
}
