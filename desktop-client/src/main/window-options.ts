/**
 * The BrowserWindow options. The renderer runs web content we build ourselves, but it is treated as
 * untrusted all the same: no Node, its own JavaScript world, the Chromium sandbox, web security on.
 */
export interface WindowOptions {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  show: boolean;
  title: string;
  backgroundColor: string;
  autoHideMenuBar: boolean;
  webPreferences: {
    preload: string;
    contextIsolation: true;
    sandbox: true;
    nodeIntegration: false;
    nodeIntegrationInWorker: false;
    nodeIntegrationInSubFrames: false;
    webSecurity: true;
    allowRunningInsecureContent: false;
    experimentalFeatures: false;
    webviewTag: false;
    navigateOnDragDrop: false;
    safeDialogs: true;
    spellcheck: boolean;
  };
}

export function windowOptions(preloadPath: string): WindowOptions {
  return {
    // 1280×800 is the UI's design size; 420 px is its narrowest supported width.
    width: 1280,
    height: 800,
    minWidth: 420,
    minHeight: 560,
    // Shown on 'ready-to-show' so the user never sees an empty white window.
    show: false,
    title: 'Parley',
    backgroundColor: '#ededed',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: true,
    },
  };
}
