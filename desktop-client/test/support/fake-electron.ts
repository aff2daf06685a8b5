/**
 * A stand-in for the `electron` module, installed in require's cache so the thin wiring files
 * (electron-main.ts, preload/index.ts) can be loaded and driven under Node. It records what the
 * wiring asks of Electron; it implements nothing of ours.
 */
import { EventEmitter } from 'node:events';
import Module from 'node:module';
import type { IpcMainLike } from '../../src/main/ipc-types';
import type { IpcRendererLike } from '../../src/preload/ipc-renderer-types';

type Fn = (...args: never[]) => unknown;

export class FakeWebContents extends EventEmitter {
  static nextId = 100;
  readonly id = FakeWebContents.nextId++;
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  readonly sent: { channel: string; payload: unknown }[] = [];
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.windowOpenHandler = handler;
  }
  send(channel: string, payload: unknown) {
    this.sent.push({ channel, payload });
  }
  isDestroyed() {
    return false;
  }
}

export interface FakeElectron {
  log: string[];
  appEvents: EventEmitter;
  ready(): void;
  windows: FakeWindow[];
  notifications: { title: string; body: string }[];
  opened: string[];
  badge: number[];
  lock: boolean;
  privileged: unknown[];
  protocolHandlers: Map<string, (request: { url: string }) => Promise<Response> | Response>;
  permissionRequest?: (wc: unknown, permission: string, callback: (granted: boolean) => void, details: { requestingUrl: string }) => void;
  permissionCheck?: (wc: unknown, permission: string, origin: string) => boolean;
  exposed: Map<string, unknown>;
  /** What app.getPath(name) answers (userData: where the core keeps its store). */
  paths: Record<string, string>;
  module: Record<string, unknown>;
}

export interface FakeWindow extends EventEmitter {
  options: unknown;
  webContents: FakeWebContents;
  loaded: string[];
  titles: string[];
  focused: boolean;
}

export function createFakeElectron(ipcMain: IpcMainLike, ipcRenderer?: IpcRendererLike): FakeElectron {
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  const appEvents = new EventEmitter();
  const fake: FakeElectron = {
    log: [],
    appEvents,
    ready: () => resolveReady(),
    windows: [],
    notifications: [],
    opened: [],
    badge: [],
    lock: true,
    privileged: [],
    protocolHandlers: new Map(),
    exposed: new Map(),
    paths: {},
    module: {},
  };

  class BrowserWindow extends EventEmitter implements FakeWindow {
    webContents = new FakeWebContents();
    loaded: string[] = [];
    titles: string[] = [];
    focused = false;
    constructor(readonly options: unknown) {
      super();
      fake.windows.push(this);
      // Electron creates the window's webContents, which app's 'web-contents-created' sees.
      appEvents.emit('web-contents-created', {}, this.webContents);
    }
    async loadURL(url: string) {
      this.loaded.push(url);
    }
    isDestroyed = () => false;
    isFocused = () => this.focused;
    isMinimized = () => false;
    setTitle = (t: string) => void this.titles.push(t);
    show = () => undefined;
    focus = () => undefined;
    restore = () => undefined;
  }

  class Notification extends EventEmitter {
    static isSupported = () => true;
    constructor(private readonly content: { title: string; body: string }) {
      super();
    }
    show() {
      fake.notifications.push(this.content);
    }
  }

  const app = {
    enableSandbox: () => void fake.log.push('enableSandbox'),
    requestSingleInstanceLock: () => (fake.log.push('requestSingleInstanceLock'), fake.lock),
    on: (name: string, fn: Fn) => void appEvents.on(name, fn as (...a: unknown[]) => void),
    whenReady: () => ready,
    quit: () => void fake.log.push('quit'),
    exit: (code: number) => void fake.log.push(`exit ${code}`),
    setBadgeCount: (n: number) => (fake.badge.push(n), true),
    getPath: (name: string) => fake.paths[name] ?? '/tmp/parley-test',
  };

  fake.module = {
    app,
    BrowserWindow,
    Notification,
    ipcMain,
    ipcRenderer,
    dialog: { showErrorBox: (title: string) => void fake.log.push(`errorBox ${title}`) },
    shell: { openExternal: async (url: string) => void fake.opened.push(url) },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => (fake.log.push('registerSchemesAsPrivileged'), fake.privileged.push(...schemes)),
      handle: (scheme: string, handler: (request: { url: string }) => Promise<Response>) => void fake.protocolHandlers.set(scheme, handler),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: FakeElectron['permissionRequest']) => void (fake.permissionRequest = h),
        setPermissionCheckHandler: (h: FakeElectron['permissionCheck']) => void (fake.permissionCheck = h),
      },
    },
    contextBridge: { exposeInMainWorld: (key: string, value: unknown) => void fake.exposed.set(key, value) },
  };
  return fake;
}

/** Makes `require('electron')` return `fake.module` until the returned function is called. */
export function installFakeElectron(fake: FakeElectron): () => void {
  const path = require.resolve('electron');
  const previous = require.cache[path];
  const mod = new Module(path);
  mod.exports = fake.module;
  mod.loaded = true;
  require.cache[path] = mod;
  return () => {
    if (previous) require.cache[path] = previous;
    else delete require.cache[path];
  };
}
