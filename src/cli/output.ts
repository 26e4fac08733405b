/** Where a command writes: prompts for the person at the terminal, and one result. */
export interface Output {
  /** Instructions while a command waits (the sign-in code, a URL): always on stderr, so `--json` stdout stays one object. */
  prompt(text: string): void;
  /** The command's result: `json` with `--json`, else `human`. Never holds a token. */
  result(json: Record<string, unknown>, human: string): void;
  /** A failure: the localized message and, when known, the administrator's hint. */
  failure(json: Record<string, unknown>, human: string): void;
}

export function createOutput(
  json: boolean,
  stdout: NodeJS.WritableStream = process.stdout,
  stderr: NodeJS.WritableStream = process.stderr,
): Output {
  return {
    prompt: (text) => void stderr.write(`${text}\n`),
    result: (object, human) => void stdout.write(json ? `${JSON.stringify(object)}\n` : `${human}\n`),
    failure: (object, human) => (json ? void stdout.write(`${JSON.stringify(object)}\n`) : void stderr.write(`${human}\n`)),
  };
}
