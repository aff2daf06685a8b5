/** @parley/client: the client core shared by the web app, the desktop app and the CLI. */
export * from './client-api';
