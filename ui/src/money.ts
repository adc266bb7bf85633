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

/** An amount as read from what was typed: its cents, or why it is refused. */
export type AmountReading = { ok: true; cents: number } | { ok: false; message: string };

/** Whole pesos: plain digits, or commas between groups of exactly three. */
const WHOLE = /^(?:\d*|\d{1,3}(?:,\d{3})+)$/;
/** `12,50` or `12,5`: a decimal comma, which this store does not use. */
const DECIMAL_COMMA = /^\d+,\d{1,2}$/;

const refuse = (message: string): AmountReading => ({ ok: false, message });

/**
 * Reads an amount as typed (`500`, `1,250.50`, `$.5`) with the engine's
 * grammar: a comma only separates thousands in groups of three, a point
 * separates at most two decimals. `12,50` is refused, never read as
 * $1,250.00. The refusal says in Spanish what to type instead.
 */
export function readAmount(text: string): AmountReading {
  let t = text.trim();
  if (t.startsWith('$')) t = t.slice(1).trimStart();
  if (t === '') return refuse('Escribe un importe, por ejemplo 500 o 1,250.50');
  if (t.startsWith('-')) return refuse('El importe no puede ser negativo');
  if (DECIMAL_COMMA.test(t)) {
    return refuse('Usa punto para los centavos (12.50); la coma solo separa miles (1,250.00)');
  }
  const point = t.indexOf('.');
  const whole = point < 0 ? t : t.slice(0, point);
  const frac = point < 0 ? '' : t.slice(point + 1);
  if (!/^[\d,]*$/.test(whole) || !/^\d*$/.test(frac)) {
    return refuse('Escribe solo números, por ejemplo 500 o 1,250.50');
  }
  if (!WHOLE.test(whole)) return refuse('La coma solo separa miles, en grupos de tres: 1,250.00');
  if (frac.length > 2) return refuse('Escribe como máximo dos decimales, por ejemplo 12.50');
  if (whole === '' && frac === '') return refuse('Escribe un importe, por ejemplo 500 o 1,250.50');
  const digits = whole.replaceAll(',', '').replace(/^0+/, '');
  if (digits.length > 10) return refuse(`El importe máximo es ${formatMoney(MAX_CENTS)}`);
  const cents = Number(digits || '0') * 100 + Number(frac.padEnd(2, '0'));
  return cents <= MAX_CENTS ? { ok: true, cents } : refuse(`El importe máximo es ${formatMoney(MAX_CENTS)}`);
}

/** Cents of an amount as typed, or `null` when the engine would refuse it. */
export function parseAmount(text: string): number | null {
  const reading = readAmount(text);
  return reading.ok ? reading.cents : null;
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
