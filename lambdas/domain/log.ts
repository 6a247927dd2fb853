/** One line per event; secrets registered here are masked in every line. */
export interface Logger {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

const secrets = new Set<string>();

/** Register a secret value (bot token, public key) so no log line ever prints it. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 8) secrets.add(value);
}

export function redact(line: string): string {
  let out = line;
  for (const s of secrets) out = out.split(s).join('***');
  return out;
}

export const consoleLogger: Logger = {
  info: (line) => console.log(redact(line)),
  warn: (line) => console.warn(redact(line)),
  error: (line) => console.error(redact(line)),
};

/** Collects lines; for tests and the replay's own output. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  info(line: string): void {
    this.lines.push(redact(line));
  }
  warn(line: string): void {
    this.lines.push(redact(line));
  }
  error(line: string): void {
    this.lines.push(redact(line));
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
