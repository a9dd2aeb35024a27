import { applyDecorators, Injectable, SetMetadata } from '@nestjs/common';
import { BAD_ACTION_NAME } from '../realtime.messages';

export const MESSAGE_HANDLER_METADATA = 'nestjs-realtime:message-handler';
export const BUNDLED_HANDLER_METADATA = 'nestjs-realtime:bundled-handler';

/**
 * Marks a provider as the handler of one client action (README "API"). Add the class to a
 * module's providers; it is discovered at boot and uses normal DI.
 */
export function MessageHandler(action: string): ClassDecorator {
  if (typeof action !== 'string' || action.length === 0) {
    throw new Error(BAD_ACTION_NAME);
  }
  return applyDecorators(
    Injectable(),
    SetMetadata(MESSAGE_HANDLER_METADATA, action),
  );
}

/** @internal The handlers that ship with the package (`ping`, `call-route`). */
export function BundledHandler(action: string): ClassDecorator {
  return applyDecorators(
    MessageHandler(action),
    SetMetadata(BUNDLED_HANDLER_METADATA, true),
  );
}
