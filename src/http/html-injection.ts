import { BODY_ATTRIBUTE } from '../protocol';

const BODY_TAG = /<body(?=[\s>/])/i;

/** Whether the HTML has a `<body` tag (any case). */
export function hasBodyTag(html: string): boolean {
  return BODY_TAG.test(html);
}

/** Adds `data-socket-connection-id="<id>"` to the first `<body` tag (ids are URL-safe: no escaping needed). */
export function injectConnectionId(html: string, connectionId: string): string {
  const match = BODY_TAG.exec(html);
  if (!match) return html;
  const at = match.index + 5;
  return `${html.slice(0, at)} ${BODY_ATTRIBUTE}="${connectionId}"${html.slice(at)}`;
}

/** Whether a response about to be sent is HTML (Express sends strings as HTML when no type is set). */
export function isHtmlResponse(contentType: unknown): boolean {
  return (
    contentType === undefined ||
    (typeof contentType === 'string' &&
      contentType.toLowerCase().includes('text/html'))
  );
}

/**
 * The body with the connection id on its `<body>` tag when it is an HTML string (the
 * same body otherwise); `connectionId` is asked for only then, so only pages get a key.
 */
export function withConnectionId(
  body: unknown,
  contentType: unknown,
  connectionId: () => string,
): unknown {
  if (
    typeof body !== 'string' ||
    !hasBodyTag(body) ||
    !isHtmlResponse(contentType)
  )
    return body;
  return injectConnectionId(body, connectionId());
}

/**
 * `socketConnectionId` for templates (`res.locals`, `reply.locals`), resolved lazily so
 * JSON APIs that never render do not get a key cookie they did not ask for.
 */
export function exposeConnectionId(
  locals: unknown,
  connectionId: () => string,
): void {
  if (
    !locals ||
    typeof locals !== 'object' ||
    Object.hasOwn(locals, 'socketConnectionId')
  )
    return;
  Object.defineProperty(locals, 'socketConnectionId', {
    enumerable: true,
    configurable: true,
    get: connectionId,
  });
}
