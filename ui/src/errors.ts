/**
 * What a person reads when something is refused. The engine's messages are
 * Spanish except the ones the register-assignment spec fixed in English;
 * those are replaced here, by code only — a message is never matched.
 */
import { ApiError } from './gateway';

const SPANISH: Readonly<Record<string, string>> = {
  register_not_assigned: 'No tienes asignada esta caja',
  invalid_session: 'La sesión de caja no es válida o no es tuya',
  session_not_closable: 'La sesión no existe, ya está cerrada o no es tuya',
};

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return SPANISH[error.code] ?? error.message;
  if (error instanceof Error && error.message) return error.message;
  return 'Ocurrió un error inesperado';
}

/** The stable code of an error, if it came from the engine. */
export function errorCode(error: unknown): string | null {
  return error instanceof ApiError ? error.code : null;
}
