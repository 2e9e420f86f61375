/** The part of unicode-properties (no bundled types) that the nickname rule uses. */
declare module 'unicode-properties' {
  /** Unicode Script property value of a code point, e.g. "Latin", "Cyrillic", "Common", "Inherited". */
  export function getScript(codePoint: number): string;
}
