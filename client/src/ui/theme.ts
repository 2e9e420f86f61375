/** Colours chosen for WCAG AA contrast on the dark background (text ≥ 4.5:1). */
export const THEME = {
  bg: 0x14162b,
  panel: 0x22254a,
  text: '#f4f4f8',
  muted: '#b9bcd6',
  accent: '#ffd23f',
  accentNum: 0xffd23f,
  good: 0x3ddc97,
  bad: 0xff6b6b,
  bar: 0x5b8cff,
  barSelf: 0xffd23f,
  track: 0x34385f,
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif',
  emojiFont: '"Noto Color Emoji", "Apple Color Emoji", "Segoe UI Emoji", sans-serif',
} as const;

/** Font size in px scaled to the viewport's smaller side, clamped to stay readable on a phone. */
export function fontPx(width: number, height: number, fraction: number, min = 14): number {
  return Math.max(min, Math.round(Math.min(width, height) * fraction));
}
