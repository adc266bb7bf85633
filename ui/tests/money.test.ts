import { describe, expect, it } from 'vitest';

import { formatMoney, formatPercent, parseAmount, parsePercent, readAmount } from '../src/money';

describe('formatMoney', () => {
  it('prints cents as es-MX pesos with thousands separators', () => {
    expect(formatMoney(0)).toBe('$0.00');
    expect(formatMoney(5)).toBe('$0.05');
    expect(formatMoney(123_456)).toBe('$1,234.56');
    expect(formatMoney(100_000)).toBe('$1,000.00');
    expect(formatMoney(123_456_789)).toBe('$1,234,567.89');
    expect(formatMoney(99_999_999_999_999)).toBe('$999,999,999,999.99');
  });

  it('puts the sign before the peso sign', () => {
    expect(formatMoney(-1_200)).toBe('-$12.00');
    expect(formatMoney(-5)).toBe('-$0.05');
  });
});

describe('parseAmount', () => {
  it('reads what a cashier types, as the engine does', () => {
    expect(parseAmount('500')).toBe(50_000);
    expect(parseAmount('1,250.50')).toBe(125_050);
    expect(parseAmount('12.5')).toBe(1_250);
    expect(parseAmount('.5')).toBe(50);
    expect(parseAmount(' $1,234.56 ')).toBe(123_456);
    expect(parseAmount('1.')).toBe(100);
    expect(parseAmount('9999999999.99')).toBe(999_999_999_999);
  });

  it('refuses what the engine refuses', () => {
    for (const bad of ['', '.', ',', '-1', '1.234', '1e3', '12.3a', 'NaN', '10000000000']) {
      expect(parseAmount(bad), bad).toBeNull();
    }
  });

  it.each([
    ['1,250.00', 125_000],
    ['1,250', 125_000],
    ['12,345,678.9', 1_234_567_890],
    ['999', 99_900],
    ['$ 1,000', 100_000],
    ['0.05', 5],
    ['9,999,999,999.99', 999_999_999_999],
  ])('takes a comma between groups of three: %s', (text, cents) => {
    expect(readAmount(text)).toEqual({ ok: true, cents });
  });

  const DECIMAL_COMMA = 'Usa punto para los centavos (12.50); la coma solo separa miles (1,250.00)';
  const THOUSANDS = 'La coma solo separa miles, en grupos de tres: 1,250.00';
  it.each([
    ['12,50', DECIMAL_COMMA],
    ['12,5', DECIMAL_COMMA],
    ['1250,00', DECIMAL_COMMA],
    ['1,2,3', THOUSANDS],
    ['1,25', DECIMAL_COMMA],
    ['1,2500', THOUSANDS],
    ['12,50.00', THOUSANDS],
    ['1234,567', THOUSANDS],
    [',250', THOUSANDS],
    ['1,', THOUSANDS],
    ['1,,250', THOUSANDS],
    ['1.250,00', 'Escribe solo números, por ejemplo 500 o 1,250.50'],
    ['12.505', 'Escribe como máximo dos decimales, por ejemplo 12.50'],
    ['-5', 'El importe no puede ser negativo'],
    ['', 'Escribe un importe, por ejemplo 500 o 1,250.50'],
    ['10,000,000,000', 'El importe máximo es $9,999,999,999.99'],
  ])('refuses %s with a message that says what to type', (text, message) => {
    expect(readAmount(text)).toEqual({ ok: false, message });
    expect(parseAmount(text)).toBeNull();
  });
});

describe('percentages', () => {
  it('are hundredths of a percent between 0 and 100', () => {
    expect(parsePercent('12.5')).toBe(1_250);
    expect(parsePercent('100')).toBe(10_000);
    expect(parsePercent('100.01')).toBeNull();
    expect(parsePercent('-1')).toBeNull();
    expect(formatPercent(1_250)).toBe('12.5 %');
    expect(formatPercent(500)).toBe('5 %');
  });
});
