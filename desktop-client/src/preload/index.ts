/**
 * The preload (sandboxed: bundled into one file, only `electron` is required). Exposes `window.parley`
 * (ParleyApi) and `window.parleyHost` (what the UI should know about its host); never ipcRenderer itself.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadApi } from './preload-api';

const { api } = createPreloadApi(ipcRenderer);
contextBridge.exposeInMainWorld('parley', api);
// The main process shows native notifications and the badge, so the UI should not notify itself.
contextBridge.exposeInMainWorld('parleyHost', { kind: 'desktop', notifies: true });
