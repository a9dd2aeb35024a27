/** Stats names of close codes the client (or ws itself) chose; server-initiated closes name their reason. */
export function closeReasonOf(code: number): string {
  switch (code) {
    case 1000:
    case 1005:
      return 'normal';
    case 1001:
      return 'going_away';
    case 1007:
      return 'invalid_payload';
    case 1008:
      return 'policy';
    case 1009:
      return 'message_too_big';
    case 1011:
      return 'server_error';
    case 4000:
      return 'slow_consumer';
    case 1006:
      return 'abnormal';
    default:
      return 'other';
  }
}

/** Stats names of the protocol errors `ws` closes a socket for. */
export function wsErrorReason(code: string | undefined): string {
  switch (code) {
    case 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH':
      return 'message_too_big';
    case 'WS_ERR_INVALID_UTF8':
      return 'invalid_payload';
    default:
      return 'protocol_error';
  }
}
