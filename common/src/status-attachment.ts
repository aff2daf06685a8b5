import { Metadata, type ClientReadableStream } from '@grpc/grpc-js';
import { toParleyError } from './errors';
import type { AttachRequest, ClusterEvent__Output } from './grpc/messages';
import type { StatusServiceClient } from './grpc/services';
import type { Logger } from './logger';

/**
 * What a chat server hears on its attachment: another chat server went down or came (back) up, or the
 * attachment itself was made or lost (while it is lost, nobody tells this server that a peer is back).
 */
export type ClusterChange = { down: string } | { up: string } | { attached: boolean };

export interface StatusAttachmentOptions {
  client: StatusServiceClient;
  /** The attach request, built afresh for every (re)attachment (it carries the current load). */
  request: () => AttachRequest;
  logger: Logger;
  onChange?: (change: ClusterChange) => void;
  /** Wait before attaching again after a stream that never got attached ended. Default 500 ms. */
  retryMs?: number;
}

/**
 * The server's end of its Attach stream to the status-server (docs/status-server.md, "Attachments"):
 * opened at start and held open for the process's life, so that its end — the process died — tells
 * the status-server at once. When the stream ends on the status-server's side (it restarted), it is
 * opened again at once; the call waits for the channel to be ready (waitForReady), so the server is
 * registered again as soon as a status-server answers.
 */
export class StatusAttachment {
  private call: ClientReadableStream<ClusterEvent__Output> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private attachedOnce = false;

  constructor(private readonly options: StatusAttachmentOptions) {}

  open(): void {
    if (this.closed || this.call) return;
    const { client, logger } = this.options;
    let attached = false;
    const call = client.Attach(this.options.request(), new Metadata({ waitForReady: true }));
    this.call = call;
    call.on('data', (event: ClusterEvent__Output) => {
      if (event.attached) {
        attached = true;
        if (this.attachedOnce) logger.info('attached to the status-server again');
        this.attachedOnce = true;
        this.options.onChange?.({ attached: true });
      }
      if (event.chatServerDown) this.options.onChange?.({ down: event.chatServerDown });
      if (event.chatServerUp) this.options.onChange?.({ up: event.chatServerUp });
    });
    let ended = false;
    const end = (err?: unknown): void => {
      if (ended) return;
      ended = true;
      if (this.call === call) this.call = undefined;
      if (this.closed) return;
      if (attached) this.options.onChange?.({ attached: false });
      if (attached) logger.warn({ err: err === undefined ? undefined : toParleyError(err).message }, 'status-server attachment ended; attaching again');
      this.timer = setTimeout(() => this.open(), attached ? 0 : (this.options.retryMs ?? 500));
      this.timer.unref();
    };
    call.on('error', end);
    call.on('end', () => end());
  }

  /** Ends the stream for good (after Deregister, so the status-server does not mark this server down). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.call?.cancel();
    this.call = undefined;
  }
}
