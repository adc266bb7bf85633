import { describe, expect, it } from 'vitest';

import { formatMoney, formatPercent, parseAmount, parsePercent } from '../src/money';

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
