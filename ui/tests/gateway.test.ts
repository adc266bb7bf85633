import { invoke } from '@tauri-apps/api/core';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { COMMANDS } from '../src/bindings/commands';
import { errorText } from '../src/errors';
import * as gateway from '../src/gateway';
import { ApiError, byCommand, commandsCovered, onCommitted, onSessionLost, toApiError } from '../src/gateway';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
const invokeMock = vi.mocked(invoke);

afterEach(() => invokeMock.mockReset());

describe('every command of the shell has a gateway function', () => {
  it('covers exactly the generated command list', () => {
    expect([...commandsCovered].sort()).toEqual([...COMMANDS].sort());
  });

  it.each(COMMANDS)('%s calls its own command', async (name) => {
    invokeMock.mockResolvedValue(null);
    const fn = byCommand[name] as (...args: unknown[]) => Promise<unknown>;
    expect(typeof fn).toBe('function');
    await fn('a', 'b');
    expect(invokeMock).toHaveBeenCalledTimes(1);
    expect(invokeMock.mock.calls[0]?.[0]).toBe(name);
  });
});

describe('arguments cross as Tauri names them', () => {
  it('uses camelCase for top-level arguments and keeps struct fields', async () => {
    invokeMock.mockResolvedValue(null);
    await gateway.sessionReport('s-1');
    await gateway.employees(true);
    await gateway.receipt('v-1');
    await gateway.searchProducts('filtro', 20);
    await gateway.setPinLength(null);
    await gateway.openSession({ cash_register_id: 'r-1', opening_amount: '1,250.50' });
    await gateway.setAssignmentActive('a-1', false);
    expect(invokeMock.mock.calls).toEqual([
      ['session_report', { sessionId: 's-1' }],
      ['employees', { includeInactive: true }],
      ['receipt', { saleId: 'v-1' }],
      ['search_products', { query: 'filtro', limit: 20 }],
      ['set_pin_length', { length: null }],
      ['open_session', { input: { cash_register_id: 'r-1', opening_amount: '1,250.50' } }],
      ['set_assignment_active', { id: 'a-1', active: false }],
    ]);
  });
});

describe('refusals become ApiError', () => {
  it('keeps the code, the message and the wait of an ErrorBody', async () => {
    invokeMock.mockRejectedValue({
      code: 'too_many_attempts',
      message: 'Demasiados intentos. Espere un momento.',
      retry_after_secs: 42,
    });
    const error = await gateway.login('1234').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: 'too_many_attempts', message: 'Demasiados intentos. Espere un momento.', retryAfterSecs: 42 });
  });

  it('has no wait when the engine gives none', () => {
    expect(toApiError({ code: 'wrong_pin', message: 'PIN incorrecto' }).retryAfterSecs).toBeNull();
    expect(toApiError({ code: 'wrong_pin', message: 'PIN incorrecto', retry_after_secs: null }).retryAfterSecs).toBeNull();
  });

  it('turns what the bridge itself throws into the ipc code', () => {
    expect(toApiError('invalid args `input` for command `sell`')).toMatchObject({
      code: 'ipc',
      message: 'invalid args `input` for command `sell`',
    });
    expect(toApiError(new TypeError('window.__TAURI_INTERNALS__ is undefined'))).toMatchObject({ code: 'ipc' });
    expect(toApiError(undefined)).toMatchObject({ code: 'ipc', message: 'undefined' });
  });

  it('tells the app when the counter was locked under it', async () => {
    const lost = vi.fn();
    const stop = onSessionLost(lost);
    invokeMock.mockRejectedValueOnce({ code: 'session_locked', message: 'La sesión se bloqueó por inactividad' });
    await expect(gateway.home()).rejects.toMatchObject({ code: 'session_locked' });
    invokeMock.mockRejectedValueOnce({ code: 'wrong_pin', message: 'PIN incorrecto' });
    await expect(gateway.login('1111')).rejects.toMatchObject({ code: 'wrong_pin' });
    invokeMock.mockRejectedValueOnce({ code: 'not_logged_in', message: 'Ingresa tu PIN para continuar' });
    await expect(gateway.registers()).rejects.toMatchObject({ code: 'not_logged_in' });
    expect(lost.mock.calls.map(([e]) => (e as ApiError).code)).toEqual(['session_locked', 'not_logged_in']);
    stop();
  });
});

describe('error text', () => {
  it('replaces the spec’s English messages by code', () => {
    expect(errorText(new ApiError('register_not_assigned', 'User is not assigned to this cash register'))).toBe(
      'No tienes asignada esta caja',
    );
    expect(errorText(new ApiError('invalid_session', 'Invalid session or not owned by user'))).toBe(
      'La sesión de caja no es válida o no es tuya',
    );
    expect(errorText(new ApiError('session_not_closable', 'Cash session not found/OPEN or not owned by user'))).toBe(
      'La sesión no existe, ya está cerrada o no es tuya',
    );
  });

  it('never matches on the message', () => {
    expect(errorText(new ApiError('storage', 'Invalid session or not owned by user'))).toBe(
      'Invalid session or not owned by user',
    );
    expect(errorText(new ApiError('session_already_open', 'Ya tienes una sesión activa'))).toBe(
      'Ya tienes una sesión activa',
    );
  });
});

describe('commits are announced', () => {
  it('after a committing command succeeds, never after a read or a refusal', async () => {
    const seen: string[] = [];
    const off = onCommitted((cmd) => seen.push(cmd));
    invokeMock.mockResolvedValue(null);
    await gateway.searchProducts('filtro', 20);
    await gateway.status();
    await gateway.moveCash({ cash_session_id: 's-1', kind: 'in', amount: '10', reason: 'Cambio' });
    invokeMock.mockRejectedValue({ code: 'invalid_amount', message: 'Importe inválido' });
    await expect(gateway.moveCash({ cash_session_id: 's-1', kind: 'in', amount: 'x', reason: 'Cambio' })).rejects.toThrow();
    off();
    expect(seen).toEqual(['move_cash']);
  });
});
