/** A health probe of a chat server: can a fresh gRPC connection to its peer port be made within the time? */
import { connectivityState } from '@grpc/grpc-js';
import type { PeerAddress } from '../redis/chat-server-address';
import type { ClusterCredentials } from './cluster-credentials';
import { createChatPeerClient } from './services';

/**
 * Resolves true when a new channel to `address` gets READY (TLS handshake included) within `timeoutMs`,
 * false when it fails (refused, reset, handshake error) or takes longer. The channel has its own
 * subchannel pool, so an older connection's state cannot answer for it.
 */
export function probeChatServer(address: PeerAddress, credentials: ClusterCredentials, timeoutMs: number): Promise<boolean> {
  const client = createChatPeerClient(address.host, address.port, credentials, { 'grpc.use_local_subchannel_pool': 1, 'grpc.initial_reconnect_backoff_ms': timeoutMs * 2 });
  const channel = client.getChannel();
  const deadline = Date.now() + timeoutMs;
  return new Promise<boolean>((resolve) => {
    const check = (): void => {
      const state = channel.getConnectivityState(true);
      if (state === connectivityState.READY || state === connectivityState.TRANSIENT_FAILURE || state === connectivityState.SHUTDOWN) {
        resolve(state === connectivityState.READY);
        return;
      }
      channel.watchConnectivityState(state, deadline, (err) => (err ? resolve(false) : check()));
    };
    check();
  }).finally(() => client.close());
}
