/** The Mexican bills and coins counted at close, in the order they are counted. */
import type { Denomination } from './bindings/Denomination';

export interface DenominationInfo {
  code: Denomination;
  cents: number;
  label: string;
}

export const DENOMINATIONS: readonly DenominationInfo[] = [
  { code: 'B1000', cents: 100_000, label: 'Billete de $1,000' },
  { code: 'B500', cents: 50_000, label: 'Billete de $500' },
  { code: 'B200', cents: 20_000, label: 'Billete de $200' },
  { code: 'B100', cents: 10_000, label: 'Billete de $100' },
  { code: 'B50', cents: 5_000, label: 'Billete de $50' },
  { code: 'B20', cents: 2_000, label: 'Billete de $20' },
  { code: 'C20', cents: 2_000, label: 'Moneda de $20' },
  { code: 'C10', cents: 1_000, label: 'Moneda de $10' },
  { code: 'C5', cents: 500, label: 'Moneda de $5' },
  { code: 'C2', cents: 200, label: 'Moneda de $2' },
  { code: 'C1', cents: 100, label: 'Moneda de $1' },
  { code: 'C050', cents: 50, label: 'Moneda de 50¢' },
];

export type Count = { [key in Denomination]?: number };

/** Pieces as typed in a count field: whole and not negative, else `null`. */
export function pieces(text: string | number): number | null {
  const t = String(text).trim();
  if (t === '') return 0;
  return /^\d{1,6}$/.test(t) ? Number(t) : null;
}

export function countTotal(count: Count): number {
  return DENOMINATIONS.reduce((sum, d) => sum + d.cents * (count[d.code] ?? 0), 0);
}
