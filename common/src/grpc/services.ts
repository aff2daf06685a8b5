/** Typed handles on Parley's gRPC services: definitions for servers, client factories for callers. */
import type { ChannelOptions } from '@grpc/grpc-js';
import type { ProtoGrpcType as ChatApiProto } from '../generated/chat_api';
import type { ChatApiClient } from '../generated/parley/chatapi/ChatApi';
import type { ProtoGrpcType as ChatPeerProto } from '../generated/chat_peer';
import type { ChatPeerClient } from '../generated/parley/chatpeer/ChatPeer';
import type { StatusServiceClient } from '../generated/parley/status/StatusService';
import type { VerifyServiceClient } from '../generated/parley/verify/VerifyService';
import type { ProtoGrpcType as StatusProto } from '../generated/status';
import type { ProtoGrpcType as VerifyProto } from '../generated/verify';
import type { ClusterCredentials } from './cluster-credentials';
import { CLIENT_CHANNEL_OPTIONS } from './grpc-helpers';
import { loadProto } from './proto-loader';

let verifyProto: VerifyProto | undefined;
let statusProto: StatusProto | undefined;
let chatPeerProto: ChatPeerProto | undefined;
let chatApiProto: ChatApiProto | undefined;

export function verifyPackage(): VerifyProto['parley']['verify'] {
  verifyProto ??= loadProto<VerifyProto>('verify.proto');
  return verifyProto.parley.verify;
}

export function statusPackage(): StatusProto['parley']['status'] {
  statusProto ??= loadProto<StatusProto>('status.proto');
  return statusProto.parley.status;
}

export function chatPeerPackage(): ChatPeerProto['parley']['chatpeer'] {
  chatPeerProto ??= loadProto<ChatPeerProto>('chat_peer.proto');
  return chatPeerProto.parley.chatpeer;
}

export function chatApiPackage(): ChatApiProto['parley']['chatapi'] {
  chatApiProto ??= loadProto<ChatApiProto>('chat_api.proto');
  return chatApiProto.parley.chatapi;
}

/**
 * Largest ChatApi reply a client accepts. grpc-js defaults to 4 MiB; a Pull or History page may be
 * up to 16 MiB (the chat protocol's client frame limit), so the gate must take that much.
 */
export const CHAT_API_MAX_REPLY_BYTES = 17 * 1024 * 1024;

export function createVerifyClient(host: string, port: number, creds: ClusterCredentials, options: ChannelOptions = {}): VerifyServiceClient {
  return new (verifyPackage().VerifyService)(`${host}:${port}`, creds.channel, { ...CLIENT_CHANNEL_OPTIONS, ...options });
}

export function createStatusClient(host: string, port: number, creds: ClusterCredentials, options: ChannelOptions = {}): StatusServiceClient {
  return new (statusPackage().StatusService)(`${host}:${port}`, creds.channel, { ...CLIENT_CHANNEL_OPTIONS, ...options });
}

export function createChatPeerClient(host: string, port: number, creds: ClusterCredentials, options: ChannelOptions = {}): ChatPeerClient {
  return new (chatPeerPackage().ChatPeer)(`${host}:${port}`, creds.channel, { ...CLIENT_CHANNEL_OPTIONS, ...options });
}

export function createChatApiClient(host: string, port: number, creds: ClusterCredentials, options: ChannelOptions = {}): ChatApiClient {
  return new (chatApiPackage().ChatApi)(`${host}:${port}`, creds.channel, { ...CLIENT_CHANNEL_OPTIONS, 'grpc.max_receive_message_length': CHAT_API_MAX_REPLY_BYTES, ...options });
}

export type { VerifyServiceClient, VerifyServiceHandlers } from '../generated/parley/verify/VerifyService';
export type { StatusServiceClient, StatusServiceHandlers } from '../generated/parley/status/StatusService';
export type { ChatPeerClient, ChatPeerHandlers } from '../generated/parley/chatpeer/ChatPeer';
export type { ChatApiClient, ChatApiHandlers } from '../generated/parley/chatapi/ChatApi';
