/** Structured logs (pino). One root logger; modules take a child. */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level = 'info'): Logger {
  return pino({ level, base: { service: 'emotion-arena' }, timestamp: pino.stdTimeFunctions.isoTime });
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
