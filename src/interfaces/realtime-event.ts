/** A connection opened or closed on this instance (Pakyow's join/leave). */
export interface RealtimeEvent {
  type: 'connect' | 'disconnect';
  digest: string;
  connectionId: string;
  instanceId: string;
}
