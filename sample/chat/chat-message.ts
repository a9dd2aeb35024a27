/** What `chat:<room>` carries: one message per push. */
export interface ChatMessage {
  name: string;
  text: string;
  /** ISO 8601, server time. */
  at: string;
}

/** What `typing:<room>` carries. */
export interface TypingNotice {
  name: string;
}
