/**
 * Money as the engine has it: integer cents, never a float. People type
 * amounts as text and the engine parses that text itself; the parser here
 * mirrors the engine's only to preview change and differences while typing.
 */

/** `$1,234.56`, `-$12.00`: how a cashier reads an amount in cents. */
export function formatMoney(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(cents));
  const pesos = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const centavos = (abs % 100).toString().padStart(2, '0');
  return `${sign}$${pesos}.${centavos}`;
}

/** The largest amount the engine takes: 9,999,999,999.99. */
const MAX_CENTS = 999_999_999_999;

/**
 * Cents of an amount as typed (`500`, `1,250.50`, `$.5`), or `null` when
 * the engine would refuse it: the same grammar as the engine's parser.
 */
export function parseAmount(text: string): number | null {
  let t = text.trim();
  if (t.startsWith('$')) t = t.slice(1).trimStart();
  const match = /^([\d,]*)(?:\.(\d{0,2}))?$/.exec(t);
  if (!match) return null;
  const whole = (match[1] ?? '').replaceAll(',', '');
  const frac = match[2] ?? '';
  if (whole === '' && frac === '') return null;
  const cents = Number(whole || '0') * 100 + Number(frac.padEnd(2, '0'));
  return cents <= MAX_CENTS ? cents : null;
}

/** How a cashier calls a close difference: money over or money missing. */
export function differenceWord(cents: number | null): string {
  if (cents === null || cents === 0) return '';
  return cents > 0 ? '(sobrante)' : '(faltante)';
}

/** Hundredths of a percent of a typed percentage (`12.5` → 1250), 0–100 %. */
export function parsePercent(text: string): number | null {
  const hundredths = parseAmount(text);
  return hundredths !== null && hundredths <= 10_000 ? hundredths : null;
}

/** `12.5 %` from 1250 hundredths. */
export function formatPercent(bp: number): string {
  return `${(bp / 100).toLocaleString('es-MX', { maximumFractionDigits: 2 })} %`;
}
