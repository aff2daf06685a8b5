// The machine's MariaDB and Redis, or private instances; exits with one line naming what to install.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const requireFromCommon = createRequire(join(root, 'common', 'package.json'));

export async function servicesOrExit(announce) {
  const { ensureLocalServices, MissingServiceError } = requireFromCommon('@parley/common/testing');
  try {
    const services = await ensureLocalServices();
    for (const s of services.started) announce(s);
    return services;
  } catch (err) {
    if (err instanceof MissingServiceError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}
