/** `<length>:<name><json>`: a name and an already serialized payload in one message, no re-encoding. */
export function pack(name: string, json: string): string {
  return `${name.length}:${name}${json}`;
}

/** The reverse of `pack`, reading from `from` (control messages start with a type letter). */
export function unpack(
  message: string,
  from: number,
): [name: string, json: string] {
  const colon = message.indexOf(':', from);
  const length = Number(message.slice(from, colon));
  return [
    message.slice(colon + 1, colon + 1 + length),
    message.slice(colon + 1 + length),
  ];
}
