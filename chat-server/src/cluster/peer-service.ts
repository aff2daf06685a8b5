import {
  chatPeerPackage,
  unaryHandler,
  type ChatPeerHandlers,
  type DeliverReply,
  type DeliverRequest__Output,
  type KickReply,
  type KickRequest__Output,
  type Logger,
} from '@parley/common';
import type { Server } from '@grpc/grpc-js';
import { encodeFrameRaw, isServerFrameId, KickReason } from '@parley/protocol';
import { kickConnection } from '../session/login-handler';
import type { SessionRegistry } from '../session/session-registry';

/**
 * The ChatPeer service other chat servers call: Deliver writes each push's frame to its users
 * connected here (reporting those that are not: their route was stale), Kick ends an older
 * session of a user who logged in on the calling server.
 */
export function createPeerHandlers(registry: SessionRegistry, logger: Logger): ChatPeerHandlers {
  return {
    Deliver: unaryHandler<DeliverRequest__Output, DeliverReply>(logger, async (req) => {
      const offline = new Set<number>();
      for (const push of req.pushes) {
        // Only server→client ids may reach a client; anything else is a peer bug, not a frame to relay.
        const relay = isServerFrameId(push.msgId);
        let frame: Buffer | undefined;
        for (const uid of push.uids) {
          const conn = registry.get(uid);
          if (!conn) {
            offline.add(uid);
            continue;
          }
          if (!relay) continue;
          // Encoded once, for the first recipient here; every other one gets the same bytes.
          frame ??= encodeFrameRaw(push.msgId, push.body);
          conn.write(frame);
        }
      }
      return { offlineUids: [...offline] };
    }),
    Kick: unaryHandler<KickRequest__Output, KickReply>(logger, async (req) => {
      const conn = registry.bound(req.uid);
      if (!conn || conn.sessionId === req.keepSession) return { kicked: 0 };
      logger.debug({ uid: req.uid, session: conn.sessionId }, 'kicked by peer');
      kickConnection(conn, req.reason || KickReason.LoggedInElsewhere);
      return { kicked: 1 };
    }),
  };
}

export function addPeerService(server: Server, registry: SessionRegistry, logger: Logger): void {
  server.addService(chatPeerPackage().ChatPeer.service, createPeerHandlers(registry, logger));
}
