/**
 * The desktop app's few options, from the command line (`--gate-url=…`) or the environment
 * (PARLEY_GATE_URL, PARLEY_WEB_DIR), validated once with errors that name the option.
 */
import { isAbsolute } from 'node:path';

export interface DesktopOptions {
  /** The gate's HTTP base URL. Default http://127.0.0.1:8080 (config.ini's [gate] port). */
  gateUrl: string;
  /** A web build directory to serve instead of the bundled one (development). */
  webDir?: string;
}

export class DesktopOptionsError extends Error {
  override name = 'DesktopOptionsError';
}

export const DEFAULT_GATE_URL = 'http://127.0.0.1:8080';

function flag(argv: readonly string[], name: string): string | undefined {
  const prefix = `--${name}=`;
  return argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

export function desktopOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Readonly<DesktopOptions> {
  const gateUrl = flag(argv, 'gate-url') ?? env.PARLEY_GATE_URL ?? DEFAULT_GATE_URL;
  let parsed: URL;
  try {
    parsed = new URL(gateUrl);
  } catch {
    throw new DesktopOptionsError(`gate-url (PARLEY_GATE_URL): not a URL: ${gateUrl.slice(0, 200)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new DesktopOptionsError('gate-url (PARLEY_GATE_URL): must be http: or https:');
  const webDir = flag(argv, 'web-dir') ?? env.PARLEY_WEB_DIR;
  if (webDir !== undefined && !isAbsolute(webDir)) throw new DesktopOptionsError('web-dir (PARLEY_WEB_DIR): must be an absolute path');
  return Object.freeze(webDir === undefined ? { gateUrl: parsed.origin } : { gateUrl: parsed.origin, webDir });
}
