/**
 * Every key config.ini may hold. Keys are snake_case in the file and camelCase here.
 * A field without a default is required. Chat-server instances are sections named [chat.<id>],
 * file-server instances [file.<id>].
 */
import { bool, int, oneOf, port, str, type Field, type SectionSpec, type SectionValues } from './config-fields';

/** A WebSocket port: -1 (the default) means the server opens none. */
function wsPort(doc: string): Field<number> {
  return int(doc, { default: -1, min: -1, max: 65535 });
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const configSchema = {
  cluster: {
    name: str('Cluster name, shown in logs and the start banner', { default: 'parley' }),
    logLevel: oneOf('pino log level for every server', LOG_LEVELS, 'info'),
    caFile: str("PEM file of the cluster's CA: every internal gRPC call is mutual TLS under it (docs/security.md)"),
    certFile: str("PEM certificate of this process, signed by ca_file, for serverAuth and clientAuth; its names must include the address others dial"),
    keyFile: str('PEM key of cert_file'),
  },
  mysql: {
    host: str('MySQL/MariaDB host'),
    port: port('MySQL/MariaDB port'),
    user: str('MySQL user'),
    password: str('MySQL password', { default: '', secret: true }),
    database: str('Database name (created by migrations if missing)'),
    poolSize: int('Connections per server process (a chat server adds one per commit lane)', { default: 10, min: 1, max: 500 }),
    tls: bool("Connect with TLS; the server's certificate is verified (against ca_file, else the system CAs) and, when host is a name rather than an IP, so is its host name", false),
    caFile: str("PEM file of the CA(s) that signed the MySQL server's certificate; empty = system CAs", { default: '' }),
    certFile: str('PEM client certificate, for servers that require one (with key_file); empty = none', { default: '' }),
    keyFile: str('PEM key of cert_file', { default: '' }),
  },
  redis: {
    host: str('Redis host'),
    port: port('Redis port'),
    user: str('Redis ACL user (Redis 6+); empty = the default user', { default: '' }),
    password: str('Redis password (of user when set)', { default: '', secret: true }),
    tls: bool("Connect with TLS; the server's certificate and host name are verified (against ca_file, else the system CAs)", false),
    caFile: str("PEM file of the CA(s) that signed the Redis server's certificate; empty = system CAs", { default: '' }),
    certFile: str('PEM client certificate, for servers with tls-auth-clients (with key_file); empty = none', { default: '' }),
    keyFile: str('PEM key of cert_file', { default: '' }),
    tlsServername: str("Host name expected in the Redis certificate when host is an IP address or another name; empty = host", { default: '' }),
    db: int('Redis database number', { default: 0, min: 0, max: 15 }),
    keyPrefix: str('Prefix of every Redis key Parley writes', { default: 'parley:' }),
  },
  smtp: {
    host: str('SMTP host; empty = no mail is sent, the code is logged instead', { default: '' }),
    port: port('SMTP port', 587),
    secure: bool('TLS from the first byte (port 465); false = STARTTLS when offered', false),
    user: str('SMTP user (empty = no auth)', { default: '' }),
    password: str('SMTP password', { default: '', secret: true }),
    from: str('From address of verification mail', { default: 'Parley <no-reply@parley.local>' }),
    required: bool('Refuse to start the verify-server without smtp.host (always so when NODE_ENV=production)', false),
    caFile: str("PEM file of the CA(s) that signed the SMTP server's certificate (replaces the system CAs); empty = system CAs", { default: '' }),
    tlsServername: str('Host name expected in the SMTP certificate when smtp.host is an IP address or another name; empty = smtp.host', { default: '' }),
    ehloName: str('Name the verify-server announces in EHLO (a fully qualified host name); empty = the machine name', { default: '' }),
  },
  verify: {
    host: str('Address others dial for the verify-server (and it listens on, unless bind_host is set)', { default: '127.0.0.1' }),
    bindHost: str('Address the verify-server listens on when it differs from host (keep it private); empty = host', { default: '' }),
    port: port('verify-server gRPC port (0 = any free port)'),
    codeTtlSec: int('Lifetime of an e-mail code, seconds', { default: 600, min: 30, max: 86400 }),
    resendIntervalSec: int('Minimum gap between two codes to one address, seconds', { default: 60, min: 0, max: 3600 }),
    hourlyLimitPerEmail: int('Codes per address per hour', { default: 5, min: 1, max: 100000 }),
    hourlyLimitPerIp: int('Codes per client IP per hour', { default: 20, min: 1, max: 1000000 }),
    maxAttempts: int('Wrong tries before a code is burnt', { default: 5, min: 1, max: 100 }),
    dailyFailureLimit: int('Wrong codes per address in any 24 hours, across codes; then CODE_FAILURE_LIMIT', { default: 10, min: 1, max: 1000000 }),
  },
  status: {
    host: str('Address others dial for the status-server (and it listens on, unless bind_host is set)', { default: '127.0.0.1' }),
    bindHost: str('Address the status-server listens on when it differs from host (keep it private); empty = host', { default: '' }),
    port: port('status-server gRPC port (0 = any free port)'),
    reportIntervalSec: int('How often chat servers report load, seconds; silent for 3 intervals = dropped', { default: 5, min: 1, max: 300 }),
    tokenTtlSec: int('Lifetime of a login token, seconds; a client refreshes it by logging in again (docs/security.md)', { default: 43200, min: 60, max: 2592000 }),
  },
  gate: {
    host: str('Address the gate-server listens on', { default: '0.0.0.0' }),
    port: port('gate-server HTTP port (0 = any free port)'),
    bodyLimitBytes: int('Largest accepted JSON body, bytes', { default: 16384, min: 256, max: 1048576 }),
    hashMemoryKib: int('argon2id memory cost, KiB; with hash_time_cost at least an OWASP minimum pair (19456 × 2, 12288 × 3, 9216 × 4, 7168 × 5, 47104 × 1)', { default: 19456, min: 7168, max: 1048576 }),
    hashTimeCost: int('argon2id iterations (see hash_memory_kib)', { default: 2, min: 1, max: 20 }),
    hashConcurrency: int('Password hashes computed at once (each holds hash_memory_kib); 0 = one per CPU core', { default: 0, min: 0, max: 1024 }),
    hashQueueLimit: int('Password hashes waiting for a slot; beyond it RATE_LIMITED with Retry-After', { default: 1000, min: 0, max: 1000000 }),
    loginLimitPerAccountIp: int('Failed logins per account from one client IP (IPv6: one /64) per 15 minutes; then that IP is refused for the account', { default: 10, min: 1, max: 1000000 }),
    loginLimitPerAccount: int('Failed logins per account from all client IPs together per 15 minutes; then the account is refused for everyone', { default: 100, min: 1, max: 1000000 }),
    loginLimitPerIp: int('Login attempts per client IP (IPv6: one /64) per minute', { default: 60, min: 1, max: 10000000 }),
    registerLimitPerIp: int('Registration attempts per client IP (IPv6: one /64) per hour', { default: 60, min: 1, max: 10000000 }),
    tlsCertFile: str('PEM certificate the gate serves HTTPS with (with tls_key_file); empty = plain HTTP (TLS terminated in front, or local development)', { default: '' }),
    tlsKeyFile: str('PEM key of tls_cert_file', { default: '' }),
    trustProxy: bool('Take the client IP from X-Forwarded-For (only behind a trusted proxy)', false),
    apiLimitPerMinute: int('REST API requests per login token per minute (docs/http-api.md)', { default: 600, min: 1, max: 10000000 }),
    webRoot: str('Directory of the built web app served at / (empty = web-client/dist of the @parley/web package; a relative path is relative to the working directory)', { default: '' }),
  },
  chat: {
    tlsCertFile: str('PEM certificate every chat server serves its client TCP and WebSocket ports with (TLS, wss://); empty = plaintext', { default: '' }),
    tlsKeyFile: str('PEM key of tls_cert_file', { default: '' }),
    maxFrameBytes: int('Largest TLV frame body a chat server accepts, bytes', { default: 1048576, min: 1024, max: 67108864 }),
    preloginMaxFrameBytes: int('Largest frame body accepted until the first frame is a valid LoginReq, bytes (at most max_frame_bytes)', { default: 4096, min: 256, max: 1048576 }),
    loginTimeoutMs: int('A connection with no valid LoginReq this long after it was accepted is closed (LOGIN_TIMEOUT), ms', { default: 10000, min: 100, max: 600000 }),
    maxConnections: int('Client connections one chat server holds, logged in or not; beyond it SERVER_FULL', { default: 100000, min: 1, max: 10000000 }),
    maxUnauthenticatedPerIp: int('Connections not logged in yet from one client IP (IPv6: one /64); beyond it TOO_MANY_CONNECTIONS', { default: 32, min: 1, max: 1000000 }),
    heartbeatSec: int('Clients ping every N seconds; silent for 3N = closed', { default: 20, min: 1, max: 600 }),
    commitIntervalMs: int('Group commit: longest wait before a batch of messages is written (0: in the same event-loop turn, no clock)', { default: 3, min: 0, max: 1000 }),
    commitMaxBatch: int('Group commit: most messages in one write', { default: 2048, min: 1, max: 10000 }),
    commitMinBatch: int('Group commit: after a batch, this many waiting sends start the next at once; fewer wait until commit_interval_ms has passed since the last one started (fewer, fuller commits under a light load)', { default: 64, min: 1, max: 10000 }),
    commitLanes: int('Group commit: batches written concurrently, one connection each (a sender always uses the same lane)', { default: 1, min: 1, max: 64 }),
    commitMaxPending: int('Group commit: sends waiting per lane besides the batch being written; beyond it SendReq is refused OVERLOADED before anything is stored', { default: 50000, min: 1, max: 10000000 }),
    commitMaxPendingBytes: int('Group commit: bytes of the sends waiting per lane (3 per UTF-16 unit of body and clientMsgId + 1 KiB each); beyond it OVERLOADED', { default: 67108864, min: 65536, max: 17179869184 }),
    commitMaxWaitMs: int("Group commit: while the oldest send waiting in a lane has waited this long, counting the last batch's duration, new sends are refused OVERLOADED (keeps acks prompt under a flood; 0: no bound)", { default: 200, min: 0, max: 60000 }),
    admissionWindowMs: int('Send admission: how often the server judges whether it is behind reading its sockets; while it is, the admitted sends per second are cut (AIMD) and the rest refused OVERLOADED, so a flood cannot starve reading', { default: 100, min: 10, max: 10000 }),
    admissionBehindPct: int("Send admission: share of a window's event-loop turns that must have run out of read budget for the server to count as behind its sockets (percent)", { default: 10, min: 1, max: 100 }),
    admissionMinPerSec: int('Send admission: sends per second admitted at least, however far behind the server is', { default: 1000, min: 1, max: 10000000 }),
    notifyMaxPending: int('Push recipients on other servers waiting for their route lookup; beyond it further pushes to other servers are dropped (receivers catch up by sync)', { default: 100000, min: 1, max: 10000000 }),
    notifyMaxPendingBytes: int('Bytes of the pushes waiting for their route lookup (body + 8 per recipient); beyond it pushes to other servers are dropped', { default: 33554432, min: 65536, max: 17179869184 }),
    peerOutboxMaxPushes: int('Pushes per peer chat server queued or in flight in Deliver calls; beyond it further pushes to that peer are dropped', { default: 100000, min: 1, max: 10000000 }),
    peerOutboxMaxBytes: int('Bytes per peer chat server queued or in flight (body + 10 per uid + 16 per push); beyond it pushes to that peer are dropped (at least one Deliver call: 4 MiB)', { default: 33554432, min: 4194304, max: 17179869184 }),
    outputPauseBytes: int('Output buffered for one client beyond which its requests are not read until it has read its answers (backpressure), bytes', { default: 65536, min: 4096, max: 67108864 }),
    maxOutputBytes: int('Output buffered for one client that does not read (pushes included); beyond it the connection is dropped, bytes', { default: 8388608, min: 65536, max: 1073741824 }),
    peerMaxInFlight: int('Deliver calls in flight per peer chat server; further pushes wait in the outbox and leave together (the bytes bound covers them)', { default: 64, min: 1, max: 1024 }),
    sendRatePerSec: int('SendReq per connection per second, sustained (token bucket); beyond it RATE_LIMITED', { default: 50, min: 1, max: 10000000 }),
    sendBurst: int('SendReq a connection may send at once before send_rate_per_sec applies', { default: 500, min: 1, max: 10000000 }),
    requestRatePerSec: int('Other requests (not SendReq) per connection per second, sustained; beyond it RATE_LIMITED', { default: 50, min: 1, max: 10000000 }),
    requestBurst: int('Other requests a connection may send at once', { default: 200, min: 1, max: 10000000 }),
    pingRatePerSec: int('Ping frames per connection per second, sustained; beyond it dropped (no Pong)', { default: 2, min: 1, max: 10000000 }),
    pingBurst: int('Ping frames a connection may send at once', { default: 20, min: 1, max: 10000000 }),
    ackRatePerSec: int('DeliveredAck frames per connection per second, sustained; beyond it dropped', { default: 500, min: 1, max: 10000000 }),
    ackBurst: int('DeliveredAck frames a connection may send at once', { default: 2000, min: 1, max: 10000000 }),
    searchLimitPerMinute: int('SearchUserReq per connection per minute, sustained (also counted as requests); beyond it RATE_LIMITED', { default: 30, min: 1, max: 10000000 }),
    searchBurst: int('SearchUserReq a connection may send at once', { default: 10, min: 1, max: 10000000 }),
    abuseLimit: int('Frames refused or dropped by the rate limits in any 10 s before the connection is closed (RATE_LIMITED)', { default: 1000, min: 1, max: 10000000 }),
    maxPendingAcksPerUser: int('Conversations with a DeliveredAck waiting to be written per user (written every 250 ms); acks for more are dropped', { default: 1024, min: 1, max: 1000000 }),
    friendRequestCooldownSec: int('After a declined friend request, seconds before the same sender may ask the same user again (REQUEST_COOLDOWN)', { default: 86400, min: 0, max: 31536000 }),
    groupMaxMembers: int('Most members a group may have (owner included)', { default: 500, min: 2, max: 10000 }),
    wsAllowedOrigins: str('Comma-separated origins browsers may open a chat WebSocket from (e.g. https://chat.example.com); empty = any (login is by token, not cookie)', { default: '' }),
  },
  file: {
    tlsCertFile: str('PEM certificate every file server serves its client TCP and WebSocket ports with (TLS, wss://); empty = plaintext', { default: '' }),
    tlsKeyFile: str('PEM key of tls_cert_file', { default: '' }),
    storageDir: str('Directory of stored files, shared by every file server of the cluster (a relative path is relative to the working directory)', { default: 'data/files' }),
    chunkBytes: int('Most data bytes in one upload or download chunk', { default: 262144, min: 4096, max: 16777216 }),
    maxFileBytes: int('Largest file accepted, bytes', { default: 2147483648, min: 1, max: Number.MAX_SAFE_INTEGER }),
    userQuotaBytes: int('Bytes of files (complete and unfinished) one user may own', { default: 10737418240, min: 0, max: Number.MAX_SAFE_INTEGER }),
    checkpointBytes: int('An upload is fsynced and its durable offset stored at least every N bytes', { default: 8388608, min: 65536, max: 1073741824 }),
    minFreeBytes: int('Free space an upload must leave on the storage volume, bytes', { default: 1073741824, min: 0, max: Number.MAX_SAFE_INTEGER }),
    heartbeatSec: int('File clients ping every N seconds when idle; no frame and no download for 3N = closed', { default: 20, min: 1, max: 600 }),
    uploadExpiryHours: int('An unfinished upload untouched for this long is deleted (row and temp file), freeing its quota', { default: 48, min: 1, max: 8760 }),
    wsAllowedOrigins: str('Comma-separated origins browsers may open a file WebSocket from; empty = any (login is by token, not cookie)', { default: '' }),
  },
} as const satisfies Record<string, SectionSpec>;

/** Keys of one [chat.<id>] section. */
export const chatInstanceSchema = {
  host: str('Address clients and peers dial for this chat server', { default: '127.0.0.1' }),
  bindHost: str('Address the client port listens on', { default: '0.0.0.0' }),
  tcpPort: port('TLV client port (0 = any free port)'),
  grpcPort: port('gRPC port: ChatPeer for other chat servers, ChatApi for the gate (0 = any free port)'),
  grpcHost: str('Address peers and the gate dial for the gRPC port; empty = host', { default: '' }),
  grpcBindHost: str('Address the gRPC port listens on: a private one (only cluster members, holding a cluster certificate, may call)', { default: '127.0.0.1' }),
  wsPort: wsPort('WebSocket client port, one TLV frame per binary message (0 = any free port, -1 = no WebSocket)'),
} as const satisfies SectionSpec;

/** Keys of one [file.<id>] section. */
export const fileInstanceSchema = {
  host: str('Address clients dial for this file server', { default: '127.0.0.1' }),
  bindHost: str('Address to listen on', { default: '0.0.0.0' }),
  tcpPort: port('File transfer TLV port (0 = any free port)'),
  wsPort: wsPort('File transfer WebSocket port, one TLV frame per binary message (0 = any free port, -1 = no WebSocket)'),
} as const satisfies SectionSpec;

type Schema = typeof configSchema;
export type ChatInstanceConfig = SectionValues<typeof chatInstanceSchema> & { readonly id: string };
export type FileInstanceConfig = SectionValues<typeof fileInstanceSchema> & { readonly id: string };

export type ParleyConfig = { readonly [S in keyof Schema]: SectionValues<Schema[S]> } & {
  readonly chatServers: readonly ChatInstanceConfig[];
  /** Empty when the cluster runs no file server. */
  readonly fileServers: readonly FileInstanceConfig[];
  /** Where the config came from, for messages. */
  readonly source: string;
};
