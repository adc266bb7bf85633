/** Dates and times as the counter reads them, in the machine's time zone. */

const DATE_TIME = new Intl.DateTimeFormat('es-MX', { dateStyle: 'short', timeStyle: 'short' });
const TIME = new Intl.DateTimeFormat('es-MX', { hour: '2-digit', minute: '2-digit' });

export function formatDateTime(iso: string): string {
  return DATE_TIME.format(new Date(iso));
}

export function formatTime(iso: string): string {
  return TIME.format(new Date(iso));
}
