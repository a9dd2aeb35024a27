/** Room names: 1-32 characters of a-z, 0-9 and "-" (safe in URLs, channels and HTML). */
export const ROOM_NAME = /^[a-z0-9-]{1,32}$/;

/** The rooms the pages link to. Any other valid name is a room too. */
export const LISTED_ROOMS = ['lobby', 'random', 'help'];

/** The channels of a room: its messages, and who is typing. */
export const chatChannel = (room: string): string => `chat:${room}`;
export const typingChannel = (room: string): string => `typing:${room}`;

/** Ticks of the server clock, pushed every second to every page. */
export const CLOCK_CHANNEL = 'clock';

/** What a room page is subscribed to. */
export const roomChannels = (room: string): string[] => [
  chatChannel(room),
  typingChannel(room),
  CLOCK_CHANNEL,
];
