/** What the HTTP handlers work with; built once in index.ts (or by tests). */
import type { Logger, MysqlPool, ParleyConfig, Redis } from '@parley/common';
import type { Backends } from './backends';
import type { ChatApi } from './chat-api';
import type { InFlight } from './in-flight';
import type { LoginFailures } from './login-failures';
import type { PasswordHasher } from './password-hasher';
import type { RateLimiter } from './rate-limit';
import type { UserRepository } from './user-repository';

export interface GateDeps {
  config: ParleyConfig;
  logger: Logger;
  pool: MysqlPool;
  redis: Redis;
  users: UserRepository;
  hasher: PasswordHasher;
  limiter: RateLimiter;
  loginFailures: LoginFailures;
  backends: Backends;
  /** The chat servers' ChatApi, for the bearer-token REST API. */
  chatApi: ChatApi;
  /** Handlers still running, so a stop waits for their writes before closing MySQL and Redis. */
  inFlight: InFlight;
}
