/** Public player ids: a one-way hash of the secret player token, safe to show to others. */
import { createHash } from 'node:crypto';

export function publicIdFromToken(token: string): string {
  return createHash('sha256').update(`emotion-arena/player/${token}`).digest('base64url').slice(0, 12);
}
