/**
 * The Electron wiring of the main process — the only main-process file that touches Electron. Every
 * decision (window options, navigation, permissions, CSP, app:// files, IPC checks, title and badge)
 * is made by a plain module; this file only connects them to Electron's objects.
 */
import { readFile } from 'node:fs/promises';
import { BrowserWindow, Notification, app, dialog, ipcMain, protocol, session, shell, type WebContents } from 'electron';
import { APP_INDEX_URL, APP_SCHEME } from './app-origin';
import { appResponseHeaders, resolveAppFile } from './app-files';
import { createAttentionController } from './attention-controller';
import type { DesktopCore } from './desktop-core';
import { createEventForwarder } from './event-forwarder';
import { createIpcRouter } from './ipc-router';
import { navigationPolicy, windowOpenPolicy } from './navigation-policy';
import { permissionAllowed } from './permission-policy';
import { createUploadBridge } from './upload-bridge';
import { windowOptions } from './window-options';

export interface DesktopMainOptions {
  /** Directory holding the web build (index.html and assets). */
  webDir: string;
  /** The bundled preload script. */
  preloadPath: string;
  /** Made once the app is ready (it may need app paths); the real factory opens its store first. */
  createCore(): DesktopCore | Promise<DesktopCore>;
  /** How long quitting waits for the core to close (stop the session, write the store). Default 5 s. */
  closeTimeoutMs?: number;
  logError(message: string, err?: unknown): void;
}

/** Must run before the app is ready: the scheme's privileges are fixed at start-up. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

function openExternal(url: string, logError: DesktopMainOptions['logError']): void {
  shell.openExternal(url).catch((err: unknown) => logError('could not open an external link', err));
}

function hardenWebContents(contents: WebContents, logError: DesktopMainOptions['logError']): void {
  const guard = (event: { preventDefault(): void }, url: string) => {
    const decision = navigationPolicy(url);
    if (decision === 'allow') return;
    event.preventDefault();
    if (decision === 'external') openExternal(url, logError);
  };
  contents.on('will-navigate', (event) => guard(event, event.url));
  contents.on('will-redirect', (event) => guard(event, event.url));
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (windowOpenPolicy(url) === 'external') openExternal(url, logError);
    return { action: 'deny' };
  });
}

export function runDesktopMain(options: DesktopMainOptions): void {
  app.enableSandbox();
  registerAppScheme();
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  let window: BrowserWindow | undefined;
  let core: DesktopCore | undefined;
  let closing: Promise<void> | undefined;
  let coreClosed = false;

  const focusWindow = () => {
    if (!window || window.isDestroyed()) return;
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  };
  app.on('second-instance', focusWindow);
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, options.logError));

  // Quitting waits for the core: its session stops cleanly and its store (the outbox above all) is on
  // disk before the process ends. will-quit is held once, then let through; a hung close cannot keep
  // the app alive past closeTimeoutMs.
  app.on('will-quit', (event) => {
    if (coreClosed || !core?.close) return;
    event.preventDefault();
    if (closing) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.closeTimeoutMs ?? 5000)));
    closing = Promise.race([core.close(), timeout])
      .catch((err: unknown) => options.logError('the client core did not close cleanly', err))
      .finally(() => {
        clearTimeout(timer);
        coreClosed = true;
        app.quit();
      });
  });

  app.whenReady().then(async () => {
    const ses = session.defaultSession;
    ses.setPermissionRequestHandler((_contents, permission, callback, details) => callback(permissionAllowed(permission, details.requestingUrl)));
    ses.setPermissionCheckHandler((_contents, permission, requestingOrigin) => permissionAllowed(permission, requestingOrigin));
    protocol.handle(APP_SCHEME, async (request) => {
      const file = resolveAppFile(options.webDir, request.url);
      if (!file.ok) return new Response(null, { status: file.status });
      try {
        return new Response(await readFile(file.path), { headers: appResponseHeaders(file.mime) });
      } catch {
        return new Response(null, { status: 404 });
      }
    });

    const made = await options.createCore();
    core = made;
    const uploads = createUploadBridge();
    const events = createEventForwarder(made, (channel, envelope) => {
      if (window && !window.isDestroyed()) window.webContents.send(channel, envelope);
    });
    createIpcRouter(made, ipcMain, { events, uploads, logError: (method, err) => options.logError(`bridge call ${method} failed`, err) });

    const createWindow = () => {
      const win = new BrowserWindow(windowOptions(options.preloadPath));
      window = win;
      const contentsId = win.webContents.id;
      win.once('ready-to-show', () => win.show());
      // The title shows the unread total; the page's <title> must not replace it.
      win.on('page-title-updated', (event) => event.preventDefault());
      // Reads in flight belong to the page that asked; a reload or close ends them.
      win.webContents.on('did-navigate', () => uploads.dropSender(contentsId));
      win.webContents.on('destroyed', () => uploads.dropSender(contentsId));
      const stopAttention = createAttentionController(made, {
        isFocused: () => !win.isDestroyed() && win.isFocused(),
        setTitle: (title) => {
          if (!win.isDestroyed()) win.setTitle(title);
        },
        setBadgeCount: (count) => void app.setBadgeCount(count),
        notify: (content) => {
          if (!Notification.isSupported()) return;
          const notification = new Notification({ title: content.title, body: content.body });
          notification.on('click', focusWindow);
          notification.show();
        },
      });
      win.on('closed', () => {
        stopAttention();
        if (window === win) window = undefined;
      });
      win.loadURL(APP_INDEX_URL).catch((err: unknown) => options.logError('could not load the app page', err));
    };

    createWindow();
    app.on('activate', () => {
      if (!window) createWindow();
    });
  }).catch((err: unknown) => {
    options.logError('the desktop app failed to start', err);
    // Only a coded error's sentence is shown; details stay in the log.
    const coded = typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string';
    dialog.showErrorBox('Parley could not start', coded ? (err as Error).message : 'An unexpected error stopped the app; see its log.');
    app.exit(1);
  });

  app.on('window-all-closed', () => {
    // macOS apps stay running with no window; elsewhere closing the window quits.
    if (process.platform !== 'darwin') app.quit();
  });
}
