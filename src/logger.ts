/** Structured fields attached to a log line. Never put tokens here. */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * The logger mail-oauth writes to: `console`, a winston logger or a pino logger (its
 * `(fields, message)` order is recognised and adapted), or anything with these four methods.
 * @category Runtime
 */
export interface Logger {
  /**
   * Detailed tracing (state transitions, protocol commands with secrets replaced).
   *
   * @example
   * ```ts
   * const device = await createMailOAuth({ providers, logger: console }); // or pino(), winston.createLogger(…)
   * logger.debug('smtp command', { scope: 'smtp.main' });
   * ```
   */
  debug(message: string, fields?: LogFields): void;
  /**
   * Notable events (token acquired, refreshed, deleted).
   *
   * @example
   * ```ts
   * logger.info('token acquired', { scope: 'smtp.main' });
   * ```
   */
  info(message: string, fields?: LogFields): void;
  /**
   * Recoverable problems (a refresh that will be retried).
   *
   * @example
   * ```ts
   * logger.warn('refresh failed, retrying', { scope: 'smtp.main', code: 'ERR_HTTP_TIMEOUT' });
   * ```
   */
  warn(message: string, fields?: LogFields): void;
  /**
   * Failures that need the administrator.
   *
   * @example
   * ```ts
   * logger.error('token invalid', { scope: 'smtp.main', code: 'ERR_TOKEN_REFRESH_FAILED' });
   * ```
   */
  error(message: string, fields?: LogFields): void;
}

const noop = (): void => {};

/** A logger that drops everything (the default). */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

type Level = keyof Logger;
const levels: readonly Level[] = ['debug', 'info', 'warn', 'error'];

// Loggers this module built; resolving one again returns it as is (transports resolve the
// device's already-resolved logger a second time).
const adapted = new WeakSet<Logger>();

/**
 * pino (and its children) take `(fields, message)`: `info(message, fields)` would make the
 * message the merging object and drop every field. pino marks its instances with registered
 * symbols, which survive duplicated copies of the package; the shape check covers wrappers.
 */
function isPinoLike(logger: object): boolean {
  if (Symbol.for('pino.serializers') in logger) return true;
  const candidate = logger as { child?: unknown; bindings?: unknown; levels?: unknown };
  return (
    typeof candidate.child === 'function' &&
    typeof candidate.bindings === 'function' &&
    typeof candidate.levels === 'object' &&
    candidate.levels !== null
  );
}

/**
 * Resolves the `logger` option: `false` or absent → silent; a pino logger gets its argument
 * order; any other logger is called as `level(message, fields)`, and `level(message)` when there
 * are no fields (so `console` does not print `undefined`). A logger that throws never breaks
 * the token or mail operation that was logging.
 */
export function resolveLogger(logger: Logger | false | undefined): Logger {
  if (logger === false || logger === undefined || logger === silentLogger) return silentLogger;
  if (adapted.has(logger)) return logger;
  const pino = isPinoLike(logger);
  const method =
    (level: Level) =>
    (message: string, fields?: LogFields): void => {
      try {
        if (fields === undefined) logger[level](message);
        else if (pino) (logger[level] as unknown as (fields: LogFields, message: string) => void).call(logger, fields, message);
        else logger[level](message, fields);
      } catch {
        // Logging is best effort.
      }
    };
  const resolved = Object.fromEntries(levels.map((level) => [level, method(level)])) as unknown as Logger;
  adapted.add(resolved);
  return resolved;
}
