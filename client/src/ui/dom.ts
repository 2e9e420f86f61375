/**
 * Tiny DOM builder for the HTML overlay. Text inputs and buttons are real DOM elements so
 * mobile keyboards, screen readers and Tab/Enter work; Phaser draws the rest.
 */
type Attrs = Record<string, string | number | boolean | undefined | ((ev: Event) => void)>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, '').toLowerCase(), v);
    else if (k === 'class') el.className = String(v);
    else if (k === 'text') el.textContent = String(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** The overlay root that scenes mount their controls into. */
export function uiRoot(): HTMLElement {
  return document.getElementById('ui')!;
}

/**
 * A scene's DOM layer: mounted on create, removed on shutdown, so switching scenes never
 * leaves stray inputs behind.
 */
export class SceneDom {
  readonly root: HTMLDivElement;
  constructor(sceneKey: string, extraClass = '') {
    this.root = h('div', {
      class: `screen screen-${sceneKey.toLowerCase()} ${extraClass}`.trim(),
      'data-scene': sceneKey,
    });
    uiRoot().append(this.root);
  }
  destroy(): void {
    this.root.remove();
  }
}

export function setBusy(button: HTMLButtonElement, busy: boolean): void {
  button.disabled = busy;
  button.setAttribute('aria-busy', String(busy));
}

/** Shows a message in a polite live region (errors read out by screen readers). */
export function say(el: HTMLElement, message: string, kind: 'info' | 'error' = 'info'): void {
  el.textContent = message;
  el.dataset.kind = kind;
}
