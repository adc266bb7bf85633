/**
 * Every key the app answers to, in one map: the key handlers look actions
 * up here and the help overlay (F1) lists this same map, so the help can
 * never promise a key that does nothing.
 *
 * `global` keys work on every screen (F-keys reach the screen even while a
 * text field has focus); the other scopes apply where their element has
 * the focus.
 */

export type Scope = 'global' | 'pin' | 'search' | 'cart';

export interface Shortcut {
  scope: Scope;
  action: string;
  /** `KeyboardEvent.key` values. */
  keys: readonly string[];
  /** How the help shows the key. */
  display: string;
  label: string;
}

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

export const SHORTCUTS = [
  { scope: 'global', action: 'help', keys: ['F1'], display: 'F1', label: 'Mostrar u ocultar esta ayuda' },
  { scope: 'global', action: 'search', keys: ['F2'], display: 'F2', label: 'Ir a la búsqueda de productos' },
  { scope: 'global', action: 'movement', keys: ['F4'], display: 'F4', label: 'Entrada, salida o gasto de efectivo' },
  { scope: 'global', action: 'close', keys: ['F8'], display: 'F8', label: 'Cerrar caja (corte con conteo)' },
  { scope: 'global', action: 'pay', keys: ['F10'], display: 'F10', label: 'Cobrar la venta' },
  { scope: 'global', action: 'lock', keys: ['F12'], display: 'F12', label: 'Bloquear la terminal' },
  {
    scope: 'global',
    action: 'escape',
    keys: ['Escape'],
    display: 'Esc',
    label: 'Cerrar el diálogo o regresar, sin borrar nada',
  },
  { scope: 'pin', action: 'digit', keys: DIGITS, display: '0–9', label: 'Escribir el PIN' },
  { scope: 'pin', action: 'erase', keys: ['Backspace'], display: '⌫', label: 'Borrar el último dígito' },
  { scope: 'pin', action: 'clear', keys: ['Escape'], display: 'Esc', label: 'Borrar todo el PIN' },
  { scope: 'pin', action: 'submit', keys: ['Enter'], display: 'Enter', label: 'Entrar' },
  { scope: 'search', action: 'previous', keys: ['ArrowUp'], display: '↑', label: 'Resultado anterior' },
  {
    scope: 'search',
    action: 'next',
    keys: ['ArrowDown'],
    display: '↓',
    label: 'Resultado siguiente (sin resultados: ir al carrito)',
  },
  {
    scope: 'search',
    action: 'add',
    keys: ['Enter'],
    display: 'Enter',
    label: 'Agregar: el código exacto o el resultado marcado',
  },
  { scope: 'cart', action: 'previous', keys: ['ArrowUp'], display: '↑', label: 'Partida anterior' },
  { scope: 'cart', action: 'next', keys: ['ArrowDown'], display: '↓', label: 'Partida siguiente' },
  { scope: 'cart', action: 'increase', keys: ['+'], display: '+', label: 'Una pieza más' },
  { scope: 'cart', action: 'decrease', keys: ['-'], display: '−', label: 'Una pieza menos' },
  { scope: 'cart', action: 'digit', keys: DIGITS, display: '0–9', label: 'Escribir la cantidad' },
  { scope: 'cart', action: 'erase', keys: ['Backspace'], display: '⌫', label: 'Borrar un dígito de la cantidad' },
  { scope: 'cart', action: 'remove', keys: ['Delete'], display: 'Supr', label: 'Quitar la partida' },
  { scope: 'cart', action: 'discount', keys: ['d', 'D', '%'], display: 'D', label: 'Descuento de la partida (%)' },
] as const satisfies readonly Shortcut[];

type Entry = (typeof SHORTCUTS)[number];

type Actions = { [S in Scope]: Extract<Entry, { scope: S }>['action'] };

/** The actions of a scope. */
export type ActionOf<S extends Scope> = Actions[S];

export type GlobalAction = ActionOf<'global'>;

export const SCOPE_TITLES: Record<Scope, string> = {
  global: 'En cualquier pantalla',
  pin: 'PIN',
  search: 'Búsqueda de productos',
  cart: 'Carrito',
};

/**
 * The action of a key press in a scope, or `null`. Key presses with Ctrl,
 * Alt or Meta are never ours: they belong to the system and text editing.
 */
export function actionFor<S extends Scope>(event: KeyboardEvent, scope: S): ActionOf<S> | null {
  if (event.ctrlKey || event.altKey || event.metaKey) return null;
  const entry: Shortcut | undefined = SHORTCUTS.find(
    (s) => s.scope === scope && (s.keys as readonly string[]).includes(event.key),
  );
  // The entry was found in `scope`, so its action is one of that scope's.
  return entry ? (entry.action as ActionOf<S>) : null;
}
