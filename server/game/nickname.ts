/** Nickname rules: length, allowed characters, and no look-alike of another player's name. */
import { NICKNAME_MAX_LENGTH, NICKNAME_MIN_LENGTH, NICKNAME_PATTERN } from '../../shared/protocol.ts';

export type NicknameCheck = { ok: true; nickname: string } | { ok: false; reason: string };

/** Trims, collapses inner whitespace and NFC-normalises; then checks length and characters. */
export function checkNickname(input: unknown): NicknameCheck {
  if (typeof input !== 'string') return { ok: false, reason: 'nickname must be a string' };
  if (input.length > 200) return { ok: false, reason: `nickname must be at most ${NICKNAME_MAX_LENGTH} characters` };
  const nickname = input.normalize('NFC').trim().replace(/\s+/g, ' ');
  const length = [...nickname].length;
  if (length < NICKNAME_MIN_LENGTH || length > NICKNAME_MAX_LENGTH) {
    return {
      ok: false,
      reason: `nickname must be ${NICKNAME_MIN_LENGTH}–${NICKNAME_MAX_LENGTH} characters (got ${length})`,
    };
  }
  if (!NICKNAME_PATTERN.test(nickname)) {
    return { ok: false, reason: 'nickname may contain only letters, digits, spaces, "_", "-" and "."' };
  }
  return { ok: true, nickname };
}

const LOOKALIKES: Record<string, string> = {
  '0': 'o',
  '1': 'l',
  i: 'l',
  '|': 'l',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  // Cyrillic letters that look Latin.
  а: 'a',
  е: 'e',
  о: 'o',
  р: 'p',
  с: 'c',
  х: 'x',
  у: 'y',
  к: 'k',
  м: 'm',
  т: 't',
  н: 'h',
  в: 'b',
};

/**
 * A skeleton of a nickname for impersonation checks: case, accents, separators and
 * common look-alike characters are folded, so "Alice", "ALlCE", "a_l.i c-e" and
 * "Аlice" (Cyrillic А) all collide.
 */
export function nicknameSkeleton(nickname: string): string {
  const folded = nickname
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[\s_.-]+/g, '');
  let out = '';
  for (const ch of folded) out += LOOKALIKES[ch] ?? ch;
  return out.replace(/rn/g, 'm').replace(/vv/g, 'w');
}

export function nicknamesCollide(a: string, b: string): boolean {
  return nicknameSkeleton(a) === nicknameSkeleton(b);
}
