/**
 * The VerifyService RPCs: GetVerifyCode (limits → code → mail) and CheckCode (single use, attempt-limited).
 */
import type {
  CheckCodeReply,
  CheckCodeRequest__Output,
  CodePurpose__Output,
  GetVerifyCodeReply,
  GetVerifyCodeRequest__Output,
  Logger,
  ParleyConfig,
} from '@parley/common';
import { ParleyError } from '@parley/common';
import type { CodeLimits } from './code-limits';
import { generateCode, newNonce, type CodeStore, type Purpose } from './code-store';
import { normalizeEmail } from './email-address';
import type { Mailer } from './mailer';

/** The purpose enum as it arrives (name, or number for a value this build does not know). */
export function toPurpose(value: CodePurpose__Output | number | undefined): Purpose {
  if (value === 'REGISTER' || value === 1) return 'register';
  if (value === 'RESET' || value === 2) return 'reset';
  throw new ParleyError('VALIDATION_FAILED', 'purpose must be REGISTER or RESET', { details: [{ field: 'purpose', message: 'must be REGISTER or RESET' }] });
}

/** Only a short, non-identifying hint of an address goes into logs. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at <= 0 ? '***' : `${email[0]}***${email.slice(at)}`;
}

export class VerifyService {
  constructor(
    private readonly cfg: ParleyConfig['verify'],
    private readonly limits: CodeLimits,
    private readonly store: CodeStore,
    private readonly mailer: Mailer,
    private readonly logger: Logger,
  ) {}

  async getVerifyCode(req: GetVerifyCodeRequest__Output): Promise<GetVerifyCodeReply> {
    const email = normalizeEmail(req.email);
    const purpose = toPurpose(req.purpose);
    const clientIp = req.clientIp ?? '';
    const nonce = newNonce();
    await this.limits.reserve(email, clientIp, nonce);
    const code = generateCode();
    try {
      await this.store.put(purpose, email, code, nonce, this.cfg.codeTtlSec);
    } catch (err) {
      await this.limits.release(email, clientIp, nonce).catch(() => undefined);
      throw err;
    }
    try {
      await this.mailer.sendCode({ to: email, code, purpose, ttlSec: this.cfg.codeTtlSec });
    } catch (err) {
      // Not delivered: the code must not stay usable and the user may try again at once (no cooldown), but
      // the send still counts against the hourly caps, so failing sends cannot be repeated without limit.
      await Promise.allSettled([this.store.revoke(purpose, email, nonce), this.limits.releaseCooldown(email, nonce)]);
      this.logger.warn({ err: err instanceof Error ? err.message : String(err), to: maskEmail(email) }, 'verification mail not sent');
      throw new ParleyError('MAIL_FAILED', undefined, { cause: err });
    }
    this.logger.info({ to: maskEmail(email), purpose, dev: this.mailer.devMode }, 'verification code sent');
    return { ttlSec: this.cfg.codeTtlSec, resendAfterSec: this.cfg.resendIntervalSec };
  }

  async checkCode(req: CheckCodeRequest__Output): Promise<CheckCodeReply> {
    const email = normalizeEmail(req.email);
    const purpose = toPurpose(req.purpose);
    await this.store.check(purpose, email, typeof req.code === 'string' ? req.code.trim() : '');
    return { ok: true };
  }
}
