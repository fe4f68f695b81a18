/** A GraphQL client error as a person reads it: the message without the client's "[GraphQL]" prefix. */
export function errorText(message: string): string {
  return message.replace(/^\[\w+\]\s*/, '');
}
