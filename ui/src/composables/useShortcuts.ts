/**
 * Routes the global keys of the shortcut map to whoever is on top: the
 * app, then the screen, then a dialog, then the help overlay. A dialog is
 * modal: keys it does not handle stop there, except help and lock, which
 * must work over anything.
 */
import { onBeforeUnmount } from 'vue';

import { actionFor, type GlobalAction } from '../shortcuts';

export type Handlers = Partial<Record<GlobalAction, () => void>>;

export type Level = 'app' | 'screen' | 'dialog' | 'overlay';

const RANK: Record<Level, number> = { app: 0, screen: 1, dialog: 2, overlay: 3 };

interface Layer {
  handlers: Handlers;
  level: Level;
  modal: boolean;
  order: number;
}

const THROUGH_MODALS: ReadonlySet<GlobalAction> = new Set<GlobalAction>(['help', 'lock']);

let layers: Layer[] = [];
let nextOrder = 0;

/** Adds a layer of handlers; returns its removal. */
export function pushLayer(handlers: Handlers, options: { level: Level; modal?: boolean }): () => void {
  const layer: Layer = { handlers, level: options.level, modal: options.modal ?? false, order: nextOrder++ };
  layers = [...layers, layer].sort((a, b) => RANK[a.level] - RANK[b.level] || a.order - b.order);
  return () => {
    layers = layers.filter((l) => l !== layer);
  };
}

/**
 * Runs the handler of the key's action on the topmost layer that has one.
 * Returns whether a handler ran.
 */
export function routeKey(event: KeyboardEvent): boolean {
  const action = actionFor(event, 'global');
  if (action === null) return false;
  // The webview's own meaning of F-keys (reload, find, developer tools)
  // has no place at a counter; Esc keeps its default for native controls.
  if (action !== 'escape') event.preventDefault();
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    const handler = layer.handlers[action];
    if (handler) {
      event.preventDefault();
      handler();
      return true;
    }
    if (layer.modal && !THROUGH_MODALS.has(action)) return false;
  }
  return false;
}

/** Registers handlers for the life of the calling component. */
export function useShortcuts(handlers: Handlers, options: { level: Level; modal?: boolean }): void {
  onBeforeUnmount(pushLayer(handlers, options));
}

/**
 * Listens on the window in the capture phase, so F-keys reach the screen
 * even when a focused field handles its own keys.
 */
export function installShortcuts(target: Window): () => void {
  const listener = (event: KeyboardEvent) => {
    routeKey(event);
  };
  target.addEventListener('keydown', listener, { capture: true });
  return () => target.removeEventListener('keydown', listener, { capture: true });
}
