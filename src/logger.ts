/** Structured fields attached to a log line. Never put tokens here. */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

/** The logger mail-oauth writes to. `console` fits; so do pino and winston child loggers. */
export interface Logger {
  /** Detailed tracing (state transitions, protocol commands with secrets replaced). */
  debug(message: string, fields?: LogFields): void;
  /** Notable events (token acquired, refreshed, deleted). */
  info(message: string, fields?: LogFields): void;
  /** Recoverable problems (a refresh that will be retried). */
  warn(message: string, fields?: LogFields): void;
  /** Failures that need the administrator. */
  error(message: string, fields?: LogFields): void;
}

const noop = (): void => {};

/** A logger that drops everything (the default). */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** Resolves the `logger` option: `false` or absent → silent. */
export function resolveLogger(logger: Logger | false | undefined): Logger {
  return logger === false || logger === undefined ? silentLogger : logger;
}
